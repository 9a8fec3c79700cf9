// Raised minimums that last while an alert fires: a route's raiseMinReplicas action puts one in
// when its alert fires and takes it out when the alert resolves. The reconciler reads the holds
// in force at each evaluation and raises the target's minimum to the highest of them, so the
// floor goes through the same safety pipeline as a configured one (bounds, final bounds) and
// the decision says why. Every hold has an end of its own: a resolution that never arrives
// must not pin a count for ever.
import { Gauge, type Registry } from 'prom-client';
import type { EngineConfig } from '../policies/config.ts';
import { reason, type Reason } from '../policies/types.ts';

export interface MinimumHold {
  /** Identifies the hold within its target (the alert's fingerprint and the route). */
  key: string;
  minReplicas: number;
  /** When the hold lapses on its own, epoch milliseconds. */
  untilMillis: number;
  /** What put it in, for the decision's reason (e.g. the alert's name). */
  cause: string;
}

export interface HeldMinimum {
  minReplicas: number;
  holds: MinimumHold[];
}

export class MinimumHolds {
  readonly #byTarget = new Map<string, Map<string, MinimumHold>>();
  readonly #now: () => number;

  constructor(now: () => number, registry?: Registry) {
    this.#now = now;
    if (registry !== undefined) {
      const holds = this.#byTarget;
      const now = this.#now;
      const prune = (target: string): MinimumHold[] => this.#inForce(target, now());
      new Gauge({
        name: 'lagpilot_alert_min_replicas',
        help: 'The minimum a firing alert holds a target at (raiseMinReplicas routes); absent when no alert holds it.',
        labelNames: ['target'],
        registers: [registry],
        collect() {
          this.reset();
          for (const target of holds.keys()) {
            const inForce = prune(target);
            if (inForce.length > 0) this.set({ target }, Math.max(...inForce.map((hold) => hold.minReplicas)));
          }
        },
      });
    }
  }

  /** Puts in (or renews) a hold; returns true when it is new. */
  raise(target: string, hold: MinimumHold): boolean {
    let holds = this.#byTarget.get(target);
    if (holds === undefined) {
      holds = new Map();
      this.#byTarget.set(target, holds);
    }
    const isNew = !holds.has(hold.key);
    holds.set(hold.key, hold);
    return isNew;
  }

  /** Takes a hold out; returns true when it was in force. */
  release(target: string, key: string): boolean {
    const holds = this.#byTarget.get(target);
    if (holds === undefined) return false;
    const existed = holds.get(key);
    holds.delete(key);
    return existed !== undefined && existed.untilMillis > this.#now();
  }

  /** The highest minimum in force for the target and the holds behind it, or undefined. */
  heldMinimum(target: string, nowMillis: number): HeldMinimum | undefined {
    const inForce = this.#inForce(target, nowMillis);
    if (inForce.length === 0) return undefined;
    return { minReplicas: Math.max(...inForce.map((hold) => hold.minReplicas)), holds: inForce };
  }

  #inForce(target: string, nowMillis: number): MinimumHold[] {
    const holds = this.#byTarget.get(target);
    if (holds === undefined) return [];
    for (const [key, hold] of holds) if (hold.untilMillis <= nowMillis) holds.delete(key);
    if (holds.size === 0) this.#byTarget.delete(target);
    return [...holds.values()];
  }
}

/**
 * The engine settings with the held minimum in force (never above the target's maximum), and
 * the reason that says so in the decision.
 */
export function withHeldMinimum(engine: EngineConfig, held: HeldMinimum): { engine: EngineConfig; reason: Reason } {
  const minimum = Math.min(engine.safety.maxReplicas, Math.max(engine.safety.minReplicas, held.minReplicas));
  const causes = held.holds.map((hold) => `${hold.cause} (${hold.minReplicas}, lapses ${new Date(hold.untilMillis).toISOString()})`);
  const capped = minimum < held.minReplicas ? `, capped at the maximum ${engine.safety.maxReplicas}` : '';
  return {
    engine: { ...engine, safety: { ...engine.safety, minReplicas: minimum } },
    reason: reason('alert', 'AlertRaisedMinimum', `minimum ${minimum} while firing: ${causes.join('; ')}${capped}`, {
      minReplicas: minimum,
      configuredMinReplicas: engine.safety.minReplicas,
      holds: held.holds.length,
    }),
  };
}
