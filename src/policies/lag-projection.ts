// Where lag goes from here under a plan of ready times: a fluid model of the group, second by
// second. Messages arrive at a constant rate; the age of the oldest unconsumed one grows by one
// second per second and shrinks by capacity / arrival rate (while capacity exceeds arrivals, the
// group works through the backlog faster than it forms). Each change of the ready replicas
// stops the whole group for the rebalance pause, as in scaling-model.md. The safety pipeline
// compares plans with it: a scale-up that does not bring lag back under its target sooner than
// keeping the count is a pause and a startup paid for nothing.

export interface CapacityJoin {
  /** Seconds from now until these replicas are ready. */
  afterSeconds: number;
  /** Messages per second the whole group processes once they are in. */
  groupCapacity: number;
}

export interface LagPlan {
  /** Messages per second the ready replicas process now. */
  capacityNow: number;
  /** Replicas joining later, in any order. */
  joins: readonly CapacityJoin[];
}

export interface LagProjectionInput {
  lagSeconds: number;
  /** Messages per second arriving, assumed constant over the projection. */
  arrivalRate: number;
  rebalancePauseSeconds: number;
  targetLagSeconds: number;
  /** The projection stops here at the latest. */
  horizonSeconds: number;
}

export interface LagOutlook {
  /** Seconds in which lag is above the target. */
  secondsAboveTarget: number;
  /** The highest lag on the way, seconds. */
  peakLagSeconds: number;
}

export function projectLag(input: LagProjectionInput, plan: LagPlan): LagOutlook {
  const joins = [...plan.joins].sort((left, right) => left.afterSeconds - right.afterSeconds);
  const lastJoin = joins.at(-1)?.afterSeconds ?? 0;
  let capacity = plan.capacityNow;
  let pausedUntil = -1;
  let lag = input.lagSeconds;
  let secondsAboveTarget = 0;
  let peakLagSeconds = lag;
  let next = 0;
  for (let second = 0; second < input.horizonSeconds; second += 1) {
    while (next < joins.length && (joins[next]?.afterSeconds ?? Infinity) <= second) {
      capacity = joins[next]?.groupCapacity ?? capacity;
      pausedUntil = second + input.rebalancePauseSeconds;
      next += 1;
    }
    const working = second < pausedUntil ? 0 : capacity;
    // An empty backlog stays empty while capacity keeps up; one that forms starts at age 1.
    if (lag > 0 || working < input.arrivalRate) lag = Math.max(0, lag + 1 - working / input.arrivalRate);
    peakLagSeconds = Math.max(peakLagSeconds, lag);
    if (lag > input.targetLagSeconds) secondsAboveTarget += 1;
    else if (second >= lastJoin && second >= pausedUntil && working >= input.arrivalRate) break;
  }
  return { secondsAboveTarget, peakLagSeconds };
}
