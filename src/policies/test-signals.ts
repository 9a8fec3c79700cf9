// Signals for tests: a healthy group at steady load, with the fields a test cares about replaced.
import type { ScalingSignals } from './types.ts';

export function testSignals(overrides: Partial<ScalingSignals> = {}): ScalingSignals {
  return {
    time: 1_000,
    currentReplicas: 4,
    readyReplicas: 4,
    partitions: 24,
    backlogMessages: 0,
    lagSeconds: 0,
    produceRate: 3000,
    consumeRate: 3000,
    dataAgeSeconds: 5,
    partialData: false,
    consecutiveFailedCollections: 0,
    ...overrides,
  };
}
