// The scaling benchmark model (shared/design/scaling-model.md, v1): one consumer group replayed
// second by second against a trace, with an autoscaler evaluated every `interval` seconds.
// Every quantity is computed exactly as the model states it, so that integer traces give the
// same integers as any other implementation of the model.
import type { Trace } from './trace.ts';

export interface Scenario {
  /** Partitions of the topic; load is spread evenly over them. */
  partitions: number;
  /** Messages per second one ready replica processes. */
  capacity: number;
  /** Seconds from a scale-up decision until the new replica is ready. */
  startup: number;
  /** Seconds the whole group processes nothing after its set of ready replicas changes. */
  rebalancePause: number;
  /** Target for the age of the oldest unconsumed message, seconds. */
  slo: number;
  minReplicas: number;
  maxReplicas: number;
  /** Replicas ready at t = 0. */
  initialReplicas: number;
  /** Seconds between autoscaler evaluations. */
  interval: number;
}

export const defaultScenario: Readonly<Scenario> = {
  partitions: 24,
  capacity: 1000,
  startup: 30,
  rebalancePause: 10,
  slo: 60,
  minReplicas: 1,
  maxReplicas: 24,
  initialReplicas: 2,
  interval: 15,
};

/** What the model lets an autoscaler see at an evaluation (step 7). */
export interface Observation {
  /** Evaluation time t, seconds from the start of the trace. */
  time: number;
  /** Backlog L(t+1): offset lag summed over partitions, messages. */
  backlogMessages: number;
  backlogPerPartition: number;
  /** Age of the oldest unconsumed message at t+1, seconds. */
  lagSeconds: number;
  /** Messages per second produced, averaged over the last min(interval, t+1) seconds. */
  produceRate: number;
  /** Messages per second consumed, averaged over the same seconds. */
  consumeRate: number;
  /** The desired replica count in force before this evaluation. */
  desiredReplicas: number;
  /** Replicas ready at t. */
  readyReplicas: number;
  partitions: number;
}

export interface Autoscaler {
  readonly name: string;
  /** Returns the desired replica count; the model clamps it to [minReplicas, maxReplicas]. */
  evaluate(observation: Observation): number;
}

/** The model's output table, field for field. */
export interface SimulationResult {
  sloViolationSeconds: number;
  maxLagSeconds: number;
  p99LagSeconds: number;
  maxLagMessages: number;
  replicaSeconds: number;
  lowerBoundReplicaSeconds: number;
  efficiency: number;
  scaleEvents: number;
  pausedSeconds: number;
  finalBacklog: number;
}

/** Per-second series for plots; index t holds the values of second t. */
export interface Timeline {
  produceRate: number[];
  desiredReplicas: number[];
  readyReplicas: number[];
  lagSeconds: number[];
}

export interface SimulationRun {
  result: SimulationResult;
  timeline: Timeline;
}

export function validateScenario(scenario: Scenario): void {
  const positiveIntegers: (keyof Scenario)[] = ['partitions', 'interval', 'maxReplicas'];
  const nonNegativeIntegers: (keyof Scenario)[] = ['startup', 'rebalancePause', 'minReplicas', 'initialReplicas'];
  for (const field of positiveIntegers) {
    if (!Number.isInteger(scenario[field]) || scenario[field] < 1) {
      throw new Error(`scenario.${field} must be an integer >= 1, got ${scenario[field]}`);
    }
  }
  for (const field of nonNegativeIntegers) {
    if (!Number.isInteger(scenario[field]) || scenario[field] < 0) {
      throw new Error(`scenario.${field} must be an integer >= 0, got ${scenario[field]}`);
    }
  }
  if (!(scenario.capacity > 0)) throw new Error(`scenario.capacity must be > 0, got ${scenario.capacity}`);
  if (!(scenario.slo >= 0)) throw new Error(`scenario.slo must be >= 0, got ${scenario.slo}`);
  if (scenario.minReplicas > scenario.maxReplicas) {
    throw new Error(`scenario.minReplicas (${scenario.minReplicas}) must not exceed scenario.maxReplicas (${scenario.maxReplicas})`);
  }
}

/** Messages per second the group drains with `ready` replicas, unpaused (step 4). */
export function groupCapacity(ready: number, partitions: number, capacityPerReplica: number): number {
  if (ready <= 0) return 0;
  const partitionsOnBusiestReplica = Math.ceil(partitions / Math.min(ready, partitions));
  return (capacityPerReplica * partitions) / partitionsOnBusiestReplica;
}

export function simulate(trace: Trace, scenario: Scenario, autoscaler: Autoscaler): SimulationRun {
  validateScenario(scenario);
  const rates = trace.ratePerSecond;
  const totalSeconds = rates.length;
  const { partitions, capacity, startup, rebalancePause, interval } = scenario;

  // produced[t] = A(t), consumed[t] = D(t): cumulative messages before second t.
  const produced = new Array<number>(totalSeconds + 1);
  produced[0] = 0;
  for (let t = 0; t < totalSeconds; t += 1) produced[t + 1] = at(produced, t) + at(rates, t);
  const consumed = new Array<number>(totalSeconds + 1);
  consumed[0] = 0;

  // Ready times of the replicas the desired count stands for, ascending: added replicas get the
  // latest ready time, so removing from the end takes those not yet ready first, then the most
  // recently ready (step 8).
  const readyTimes: number[] = new Array<number>(scenario.initialReplicas).fill(0);
  let previousReady = scenario.initialReplicas;
  let pausedUntil = 0; // the group processes nothing in seconds < pausedUntil
  // s of step 6: the second in which the oldest unconsumed message arrived. D only grows, so s
  // only moves forward.
  let oldestUnconsumedSecond = 0;

  const timeline: Timeline = { produceRate: [], desiredReplicas: [], readyReplicas: [], lagSeconds: [] };
  let replicaSeconds = 0;
  let scaleEvents = 0;
  let pausedSeconds = 0;
  let maxLagMessages = 0;

  for (let t = 0; t < totalSeconds; t += 1) {
    const desiredInForce = readyTimes.length;
    replicaSeconds += desiredInForce;

    const ready = readyTimes.filter((readyTime) => readyTime <= t).length;
    if (ready !== previousReady) pausedUntil = t + rebalancePause;
    previousReady = ready;
    const paused = t < pausedUntil;
    if (paused) pausedSeconds += 1;

    const producedSoFar = at(produced, t + 1);
    const capacityNow = paused ? 0 : groupCapacity(ready, partitions, capacity);
    const consumedSoFar = at(consumed, t) + Math.min(producedSoFar - at(consumed, t), capacityNow);
    consumed[t + 1] = consumedSoFar;
    const backlog = producedSoFar - consumedSoFar;
    maxLagMessages = Math.max(maxLagMessages, backlog);

    let lagSeconds = 0;
    if (backlog > 0) {
      while (at(produced, oldestUnconsumedSecond + 1) <= consumedSoFar) oldestUnconsumedSecond += 1;
      lagSeconds = t + 1 - oldestUnconsumedSecond;
    }

    timeline.produceRate.push(at(rates, t));
    timeline.desiredReplicas.push(desiredInForce);
    timeline.readyReplicas.push(ready);
    timeline.lagSeconds.push(lagSeconds);

    if (t % interval === 0) {
      const window = Math.min(interval, t + 1);
      const observation: Observation = {
        time: t,
        backlogMessages: backlog,
        backlogPerPartition: backlog / partitions,
        lagSeconds,
        produceRate: (producedSoFar - at(produced, t + 1 - window)) / window,
        consumeRate: (consumedSoFar - at(consumed, t + 1 - window)) / window,
        desiredReplicas: desiredInForce,
        readyReplicas: ready,
        partitions,
      };
      const requested = autoscaler.evaluate(observation);
      if (!Number.isInteger(requested)) {
        throw new Error(`autoscaler ${autoscaler.name} returned ${requested} at t=${t}: a replica count must be an integer`);
      }
      const desired = Math.min(scenario.maxReplicas, Math.max(scenario.minReplicas, requested));
      if (desired !== desiredInForce) {
        scaleEvents += 1;
        if (desired > desiredInForce) {
          for (let added = desiredInForce; added < desired; added += 1) readyTimes.push(t + 1 + startup);
        } else {
          readyTimes.length = desired;
        }
      }
    }
  }

  const totalMessages = at(produced, totalSeconds);
  const lagValues = [...timeline.lagSeconds].sort((left, right) => left - right);
  const result: SimulationResult = {
    sloViolationSeconds: timeline.lagSeconds.filter((lag) => lag > scenario.slo).length,
    maxLagSeconds: lagValues.at(-1) ?? 0,
    p99LagSeconds: lagValues[Math.floor(0.99 * (totalSeconds - 1))] ?? 0,
    maxLagMessages: Math.round(maxLagMessages),
    replicaSeconds,
    lowerBoundReplicaSeconds: Math.round(totalMessages / capacity),
    efficiency: replicaSeconds === 0 ? 0 : totalMessages / capacity / replicaSeconds,
    scaleEvents,
    pausedSeconds,
    finalBacklog: Math.round(totalMessages - at(consumed, totalSeconds)),
  };
  return { result, timeline };
}

function at(values: readonly number[], index: number): number {
  const value = values[index];
  if (value === undefined) throw new RangeError(`index ${index} outside 0 … ${values.length - 1}`);
  return value;
}
