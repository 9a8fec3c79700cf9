// `server`: the HTTP listener for /healthz, /readyz, /metrics and the Alertmanager webhook.
import { z } from 'zod';

export const serverSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .describe('Address to listen on. 0.0.0.0 (the default) lets Prometheus and Kubernetes probes reach a pod; use 127.0.0.1 on a workstation.'),
    port: z
      .int()
      .min(0)
      .max(65_535)
      .default(8080)
      .describe('TCP port. 0 lets the system pick a free one (the chosen port is logged).'),
    maxBodyBytes: z
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest request body accepted (webhooks); larger ones get 413.'),
    partitionMetrics: z
      .boolean()
      .default(true)
      .describe('Export per-partition lag and offset series on /metrics. Turn off to keep the series count to one per group.'),
  })
  .describe('The HTTP server: health, readiness, metrics and webhooks.');

export type ServerConfig = z.output<typeof serverSchema>;
