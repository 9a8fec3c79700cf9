// `prometheus`: a Prometheus-compatible query API to read metrics from (CPU, rates).
import { z } from 'zod';
import { duration, httpUrl } from './common.ts';

export const prometheusSchema = z
  .strictObject({
    url: httpUrl('Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090.'),
    timeout: duration('Time limit of one query.', '10s'),
    headers: z
      .record(z.string().min(1), z.string())
      .default({})
      .describe('Extra request headers, e.g. Authorization (redacted in logs).'),
  })
  .describe('Prometheus to query. Omit if no collector needs it.');

export type PrometheusConfig = z.output<typeof prometheusSchema>;
