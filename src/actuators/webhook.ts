// Hands each decision to a system lagpilot does not drive itself: a POST of the decision as JSON,
// signed with HMAC-SHA256 so the receiver can tell it came from lagpilot and was not altered.
//
// The signature covers `<timestamp>.<raw body>`, so a captured request cannot be replayed later
// with a fresh timestamp header. Receivers recompute it over the bytes they received:
//   X-Lagpilot-Timestamp: <unix seconds>
//   X-Lagpilot-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   X-Lagpilot-Delivery: <target>:<decision time>:<desired> (the same for a retried delivery)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookActuatorConfig } from '../config/schema/actuators.ts';
import { describeError } from './actuator.ts';
import type { ActuationRequest, ActuationResult, ActuationTarget, Actuator, ActuatorState } from './actuator.ts';

export const signatureHeader = 'x-lagpilot-signature';
export const timestampHeader = 'x-lagpilot-timestamp';
export const deliveryHeader = 'x-lagpilot-delivery';

export function signPayload(secret: string, timestamp: string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/** What a receiver does: recompute over the received bytes and compare in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string | Buffer, signature: string): boolean {
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const received = Buffer.from(signature);
  return expected.length === received.length && timingSafeEqual(expected, received);
}

interface Delivery {
  key: string;
  replicas: number;
}

/** Why one attempt did not deliver, and whether another attempt could. */
interface AttemptFailure {
  reason: string;
  retryable: boolean;
}

export class WebhookActuator implements Actuator {
  readonly kind = 'webhook';
  readonly dryRun: boolean;
  private readonly config: WebhookActuatorConfig;
  private readonly lastDelivered = new Map<string, Delivery>();

  constructor(config: WebhookActuatorConfig) {
    this.config = config;
    this.dryRun = config.dryRun;
  }

  /** The replicas last acknowledged by the receiver (its `replicas` answer, or what was sent). */
  current(target: ActuationTarget): Promise<ActuatorState> {
    const delivered = this.lastDelivered.get(target.name);
    if (delivered === undefined) return Promise.resolve({ replicas: 0, notices: [`nothing delivered to ${this.config.url} for ${target.name} yet`] });
    return Promise.resolve({ replicas: delivered.replicas, notices: [] });
  }

  async apply({ target, decision }: ActuationRequest): Promise<ActuationResult> {
    const key = `${target.name}:${decision.time}:${decision.desired}`;
    if (this.lastDelivered.get(target.name)?.key === key) {
      return { status: 'noop', code: 'AlreadyDelivered', detail: `decision ${key} was already delivered to ${this.config.url}` };
    }
    const body = JSON.stringify({ target: target.name, decision });
    if (this.dryRun) {
      return { status: 'dryRun', code: 'WouldPost', detail: `would POST ${body.length} bytes to ${this.config.url}`, replicasAfter: decision.desired };
    }
    const failures: string[] = [];
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) await sleep(this.config.retryBackoff * 2 ** (attempt - 1));
      const outcome = await this.post(key, body, decision.desired);
      if (typeof outcome === 'number') {
        this.lastDelivered.set(target.name, { key, replicas: outcome });
        const retried = failures.length === 0 ? '' : ` after ${failures.length} failed attempts (${failures.join('; ')})`;
        return { status: 'applied', code: 'Delivered', detail: `POSTed decision ${key} to ${this.config.url}${retried}`, replicasAfter: outcome };
      }
      failures.push(outcome.reason);
      if (!outcome.retryable) break;
    }
    return {
      status: 'failed',
      code: 'NotDelivered',
      detail: `could not deliver decision ${key} to ${this.config.url} in ${failures.length} attempts: ${failures.join('; ')}`,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The acknowledged replica count, or why the attempt failed. */
  private async post(key: string, body: string, desired: number): Promise<number | AttemptFailure> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [timestampHeader]: timestamp,
          [signatureHeader]: signPayload(this.config.secret, timestamp, body),
          [deliveryHeader]: key,
        },
        body,
        signal: AbortSignal.timeout(this.config.timeout),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') return { reason: `no answer within ${this.config.timeout} ms`, retryable: true };
      return { reason: `request failed: ${describeError(error)}`, retryable: true };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return { reason: `answer ${response.status} cut short: ${describeError(error)}`, retryable: true };
    }
    if (response.ok) return acknowledgedReplicas(text, desired);
    const snippet = text.length === 0 ? '' : `: ${text.slice(0, 200)}`;
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    return { reason: `answered ${response.status}${snippet}`, retryable };
  }
}

/** A receiver may answer `{"replicas": N}` with what it actually set; otherwise it set what was asked. */
function acknowledgedReplicas(text: string, asked: number): number {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'replicas' in parsed && typeof parsed.replicas === 'number') return parsed.replicas;
  } catch {
    // Not JSON: an empty or plain-text 2xx acknowledges the request as sent.
  }
  return asked;
}
