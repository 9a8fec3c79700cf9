// POST /webhooks/alertmanager: Alertmanager's webhook receiver (payload version 4).
// Each delivery passes, in order: the bearer token (401 without one, 403 for a wrong one), the
// content type (415), the body limit (413, enforced by the server while reading), the HMAC
// signature (401/403), JSON (400) and the payload schema (400 naming the field). Only then do its
// alerts count: repeats are dropped (fingerprint and status, see alert-dedup.ts), the rest are
// routed to actions (alert-routes.ts) that the executor hands to the loop. Every refusal gets a
// JSON body that says what is wrong and is counted by reason; nothing of a refused delivery
// reaches the loop. Unknown payload fields are accepted: Alertmanager adds fields over versions.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import { AlertDeduplicator } from './alert-dedup.ts';
import { plannedActionTypes, type AlertRouter, type PlannedAction } from './alert-routes.ts';

const labelSetSchema = z.record(z.string(), z.string());

const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: labelSetSchema,
  annotations: labelSetSchema.default({}),
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

export const supportedPayloadVersion = '4';

export const alertmanagerPayloadSchema = z.looseObject({
  version: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupKey: z.string(),
  groupLabels: labelSetSchema.default({}),
  commonLabels: labelSetSchema.default({}),
  commonAnnotations: labelSetSchema.default({}),
  externalURL: z.string().default(''),
  truncatedAlerts: z.int().min(0).default(0),
  alerts: z.array(alertSchema),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = z.output<typeof alertSchema>;

export interface WebhookReply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export const rejectionReasons = [
  'missingCredentials',
  'invalidToken',
  'invalidSignature',
  'unsupportedContentType',
  'bodyTooLarge',
  'invalidJson',
  'invalidPayload',
  'unsupportedVersion',
] as const;

export type RejectionReason = (typeof rejectionReasons)[number];

export interface WebhookAuth {
  /** Expected in `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** HMAC-SHA256 of the raw body, hex, in `header` (optionally prefixed "sha256="). */
  hmac?: { secret: string; header: string };
}

export interface AlertmanagerWebhookOptions {
  auth?: WebhookAuth;
  /** Repeats of an alert (same fingerprint and status) within the window cause no action. */
  dedup?: { windowMillis: number; maxEntries: number };
  /** Turns alerts into actions; without it alerts are only logged and counted. */
  router?: AlertRouter;
  /** Runs one planned action; must not throw (the daemon hands it to the reconciler). */
  execute?: (action: PlannedAction, alert: AlertmanagerAlert) => void;
  now?: () => number;
}

const defaultDedup = { windowMillis: 5 * 60_000, maxEntries: 10_000 };

export class AlertmanagerWebhook {
  readonly #logger: Logger;
  readonly #auth: WebhookAuth;
  readonly #dedup: AlertDeduplicator;
  readonly #router: AlertRouter | undefined;
  readonly #execute: ((action: PlannedAction, alert: AlertmanagerAlert) => void) | undefined;
  readonly #now: () => number;
  readonly #webhooks: Counter;
  readonly #rejected: Counter<'reason'>;
  readonly #alerts: Counter<'status'>;
  readonly #deduplicated: Counter<'status'>;
  readonly #actions: Counter<'route' | 'action'>;
  readonly #routeProblems: Counter<'route' | 'reason'>;

  constructor(registry: Registry, logger: Logger, options: AlertmanagerWebhookOptions = {}) {
    this.#logger = logger;
    this.#auth = options.auth ?? {};
    const dedup = options.dedup ?? defaultDedup;
    this.#dedup = new AlertDeduplicator(dedup.windowMillis, dedup.maxEntries);
    this.#router = options.router;
    this.#execute = options.execute;
    this.#now = options.now ?? Date.now;
    const registers = [registry];
    this.#webhooks = new Counter({ name: 'lagpilot_alertmanager_webhooks_received_total', help: 'Valid Alertmanager webhook deliveries received.', registers });
    this.#rejected = new Counter({ name: 'lagpilot_alertmanager_webhooks_rejected_total', help: 'Webhook deliveries refused, by reason (missingCredentials, invalidToken, invalidSignature, unsupportedContentType, bodyTooLarge, invalidJson, invalidPayload, unsupportedVersion).', labelNames: ['reason'], registers });
    this.#alerts = new Counter({ name: 'lagpilot_alertmanager_alerts_received_total', help: 'Alerts received in Alertmanager webhooks, by status (firing, resolved); repeats included.', labelNames: ['status'], registers });
    this.#deduplicated = new Counter({ name: 'lagpilot_alertmanager_alerts_deduplicated_total', help: 'Alerts dropped as repeats: same fingerprint and status as last seen, within the dedup window.', labelNames: ['status'], registers });
    this.#actions = new Counter({ name: 'lagpilot_alert_actions_total', help: 'Actions alerts triggered, by route and action (evaluate, raiseMinReplicas, releaseMinReplicas).', labelNames: ['route', 'action'], registers });
    this.#routeProblems = new Counter({ name: 'lagpilot_alert_route_problems_total', help: 'Alerts a route matched but could not act on, by route and reason (missingTargetLabel, unknownTarget).', labelNames: ['route', 'reason'], registers });
    this.#webhooks.inc(0);
    for (const reason of rejectionReasons) this.#rejected.inc({ reason }, 0);
    for (const status of ['firing', 'resolved']) {
      this.#alerts.inc({ status }, 0);
      this.#deduplicated.inc({ status }, 0);
    }
    for (const route of this.#router?.routeNames ?? []) {
      for (const action of plannedActionTypes) this.#actions.inc({ route, action }, 0);
    }
  }

  /** True when no credential is required: the daemon warns about it at start. */
  get open(): boolean {
    return this.#auth.bearerToken === undefined && this.#auth.hmac === undefined;
  }

  /**
   * What can be refused before the body is read: a missing or wrong bearer token, a content type
   * other than JSON. Undefined lets the request through to the body.
   */
  checkHeaders(headers: IncomingHttpHeaders): WebhookReply | undefined {
    const expected = this.#auth.bearerToken;
    if (expected !== undefined) {
      const authorization = headers.authorization;
      if (authorization === undefined || authorization === '') {
        return this.#reject('missingCredentials', 401, 'this endpoint needs "Authorization: Bearer <token>" (Alertmanager: http_config.authorization)', { 'www-authenticate': 'Bearer' });
      }
      const presented = /^bearer\s+(.+)$/i.exec(authorization.trim())?.[1];
      if (presented === undefined) {
        return this.#reject('missingCredentials', 401, 'the Authorization header is not of the Bearer scheme', { 'www-authenticate': 'Bearer' });
      }
      if (!sameSecret(presented, expected)) return this.#reject('invalidToken', 403, 'the bearer token is not the configured one');
    }
    const contentType = headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return this.#reject('unsupportedContentType', 415, `content type must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}`);
    }
    return undefined;
  }

  /** The server read more than its limit: refused and counted like every other refusal. */
  tooLarge(limitBytes: number): WebhookReply {
    return this.#reject('bodyTooLarge', 413, `request body exceeds the limit of ${limitBytes} bytes (server.maxBodyBytes)`);
  }

  /** Handles one delivery whose headers passed checkHeaders(). */
  receive(body: Buffer, headers: IncomingHttpHeaders = {}): WebhookReply {
    const signatureProblem = this.#checkSignature(body, headers);
    if (signatureProblem !== undefined) return signatureProblem;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return this.#reject('invalidJson', 400, `the body is not JSON: ${(error as Error).message}`);
    }
    const parsed = alertmanagerPayloadSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      return this.#reject('invalidPayload', 400, `not an Alertmanager webhook payload: ${problems.join('; ')}`);
    }
    const payload = parsed.data;
    if (payload.version !== supportedPayloadVersion) {
      return this.#reject('unsupportedVersion', 400, `version: payload version "${payload.version}" is not supported; this endpoint takes version "${supportedPayloadVersion}" (Alertmanager 0.16 and later)`);
    }
    this.#webhooks.inc();
    if (payload.truncatedAlerts > 0) {
      this.#logger.warn('Alertmanager truncated the alerts of a webhook (raise max_alerts of the receiver)', { truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey });
    }
    const now = this.#now();
    let deduplicated = 0;
    let actions = 0;
    for (const alert of payload.alerts) {
      this.#alerts.inc({ status: alert.status });
      const alertname = alert.labels.alertname ?? '';
      if (this.#dedup.isRepeat(alert, now)) {
        deduplicated += 1;
        this.#deduplicated.inc({ status: alert.status });
        this.#logger.debug('alert repeated', { alertname, status: alert.status, fingerprint: alert.fingerprint });
        continue;
      }
      this.#logger.info('alert received', { alertname, status: alert.status, fingerprint: alert.fingerprint, labels: alert.labels, startsAt: alert.startsAt });
      actions += this.#act(alert, now);
    }
    return { status: 200, body: { received: payload.alerts.length, deduplicated, actions } };
  }

  #act(alert: AlertmanagerAlert, now: number): number {
    if (this.#router === undefined) return 0;
    const routed = this.#router.route(alert, now);
    const alertname = alert.labels.alertname ?? '';
    for (const problem of routed.problems) {
      this.#routeProblems.inc({ route: problem.route, reason: problem.reason });
      if (problem.reason === 'unknownTarget') {
        this.#logger.warn('alert names a target that is not configured', { route: problem.route, target: problem.target, label: problem.label, alertname, message: problem.message });
      } else {
        this.#logger.warn('alert matched a route but names no target', { route: problem.route, label: problem.label, alertname, message: problem.message });
      }
    }
    for (const action of routed.actions) {
      this.#actions.inc({ route: action.route, action: action.type });
      this.#execute?.(action, alert);
    }
    return routed.actions.length;
  }

  #checkSignature(body: Buffer, headers: IncomingHttpHeaders): WebhookReply | undefined {
    const hmac = this.#auth.hmac;
    if (hmac === undefined) return undefined;
    const header = headers[hmac.header.toLowerCase()];
    const presented = Array.isArray(header) ? header[0] : header;
    if (presented === undefined || presented === '') {
      return this.#reject('missingCredentials', 401, `this endpoint needs the body's HMAC-SHA256 in the ${hmac.header} header ("sha256=<hex>")`);
    }
    const hex = presented.trim().replace(/^sha256=/i, '');
    const expected = createHmac('sha256', hmac.secret).update(body).digest();
    const given = /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : undefined;
    if (given === undefined || !timingSafeEqual(given, expected)) {
      return this.#reject('invalidSignature', 403, `the ${hmac.header} signature does not match the body (expected the hex HMAC-SHA256 of the raw body with the configured secret)`);
    }
    return undefined;
  }

  #reject(reason: RejectionReason, status: number, message: string, headers?: Record<string, string>): WebhookReply {
    this.#rejected.inc({ reason });
    // The message never holds the credential presented, so it can be logged as it is.
    this.#logger.warn('webhook refused', { reason, status, message });
    return { status, body: { error: reason, message }, ...(headers === undefined ? {} : { headers }) };
  }
}

/**
 * Constant-time comparison of secrets of any length: both sides are hashed first, so neither the
 * time nor an early length check tells how much of the presented token was right.
 */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The signature header value a sender puts on `body` (tests, the benchmark, signing proxies). */
export function signWebhookBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
