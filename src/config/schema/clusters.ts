// `clusters`: the Kafka clusters lagpilot reads lag from and, later, scales brokers of.
import { z } from 'zod';
import { resourceName } from './common.ts';

const brokerAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
    error: (issue) => `"${String(issue.input)}" is not a host:port broker address`,
  });

const saslSchema = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
    username: z.string().min(1).describe('SASL user name.'),
    password: z.string().min(1).describe('SASL password; use ${ENV_VAR} rather than writing it in the file.'),
  })
  .describe('SASL authentication; omit for none.');

const sslSchema = z
  .strictObject({
    caFile: z.string().min(1).optional().describe('PEM file of the certificate authorities to trust; the system ones if omitted.'),
    certFile: z.string().min(1).optional().describe('PEM client certificate, for mutual TLS.'),
    keyFile: z.string().min(1).optional().describe('PEM private key of certFile.'),
    rejectUnauthorized: z.boolean().default(true).describe('Verify the brokers\' certificates. Turn off only for tests.'),
  })
  .describe('TLS to the brokers; present (even empty) means on.');

export const clusterSchema = z
  .strictObject({
    name: resourceName.describe('How targets refer to this cluster; unique.'),
    bootstrap: z.array(brokerAddress).min(1).describe('Some brokers (host:port) to discover the cluster from.'),
    clientId: z.string().min(1).default('lagpilot').describe('Kafka client id, visible in broker logs and quotas.'),
    sasl: saslSchema.optional(),
    ssl: sslSchema.optional(),
  })
  .superRefine((cluster, context) => {
    if (cluster.ssl !== undefined && (cluster.ssl.certFile === undefined) !== (cluster.ssl.keyFile === undefined)) {
      context.addIssue({ code: 'custom', path: ['ssl'], message: 'certFile and keyFile go together: set both or neither' });
    }
  })
  .describe('A Kafka cluster.');

export const clustersSchema = z.array(clusterSchema).default([]).describe('The Kafka clusters targets refer to.');

export type ClusterConfig = z.output<typeof clusterSchema>;
