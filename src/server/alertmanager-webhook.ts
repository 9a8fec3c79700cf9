// POST /webhooks/alertmanager: Alertmanager's webhook receiver (payload version 4). Alerts are
// validated, logged and counted; each firing one is handed to `onFiring` (the daemon evaluates
// the target it names at once). Unknown fields are accepted: Alertmanager adds fields across versions.
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';

const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string().default(''),
  fingerprint: z.string(),
});

export const alertmanagerPayloadSchema = z.looseObject({
  version: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupKey: z.string(),
  groupLabels: z.record(z.string(), z.string()).default({}),
  commonLabels: z.record(z.string(), z.string()).default({}),
  externalURL: z.string().default(''),
  truncatedAlerts: z.int().min(0).default(0),
  alerts: z.array(alertSchema),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;

export type WebhookResult = { ok: true; alerts: number } | { ok: false; message: string };

export type AlertmanagerAlert = z.output<typeof alertSchema>;

export interface AlertmanagerWebhookOptions {
  /** Called for every firing alert of a valid delivery; must not throw. */
  onFiring?: (alert: AlertmanagerAlert) => void;
}

export class AlertmanagerWebhook {
  readonly #logger: Logger;
  readonly #webhooks: Counter;
  readonly #alerts: Counter<'status'>;
  readonly #onFiring: ((alert: AlertmanagerAlert) => void) | undefined;

  constructor(registry: Registry, logger: Logger, options: AlertmanagerWebhookOptions = {}) {
    this.#logger = logger;
    this.#onFiring = options.onFiring;
    this.#webhooks = new Counter({
      name: 'lagpilot_alertmanager_webhooks_received_total',
      help: 'Valid Alertmanager webhook deliveries received.',
      registers: [registry],
    });
    this.#alerts = new Counter({
      name: 'lagpilot_alertmanager_alerts_received_total',
      help: 'Alerts received in Alertmanager webhooks, by status (firing, resolved).',
      labelNames: ['status'],
      registers: [registry],
    });
    this.#webhooks.inc(0);
    for (const status of ['firing', 'resolved']) this.#alerts.inc({ status }, 0);
  }

  /** Handles one delivery's body. Invalid bodies are refused whole: nothing is counted. */
  receive(body: string): WebhookResult {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      return { ok: false, message: `the body is not JSON: ${(error as Error).message}` };
    }
    const parsed = alertmanagerPayloadSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      return { ok: false, message: `not an Alertmanager webhook payload: ${problems.join('; ')}` };
    }
    const payload = parsed.data;
    this.#webhooks.inc();
    for (const alert of payload.alerts) {
      this.#alerts.inc({ status: alert.status });
      this.#logger.info('alert received', {
        alertname: alert.labels.alertname ?? '',
        status: alert.status,
        fingerprint: alert.fingerprint,
        labels: alert.labels,
        startsAt: alert.startsAt,
      });
      if (alert.status === 'firing') this.#onFiring?.(alert);
    }
    if (payload.truncatedAlerts > 0) {
      this.#logger.warn('Alertmanager truncated the alerts of a webhook', { truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey });
    }
    return { ok: true, alerts: payload.alerts.length };
  }
}
