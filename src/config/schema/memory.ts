// `memory`: when the daemon gives freed heap pages back to the system (src/engine/heap-release.ts).
import { z } from 'zod';
import { duration } from './common.ts';

export const memorySchema = z
  .strictObject({
    releaseHeap: z
      .boolean()
      .default(true)
      .describe('After sweeps and evaluations go quiet, run one memory-reducing garbage collection so the heap pages their garbage held go back to the system. Needs Node\'s --expose-gc, which `lagpilot run` and the image set.'),
    // 1 s: every target due in the same round has finished well within it (their shared lag
    // sweep takes under a second at 2,000 groups), and the next round is seconds away.
    releaseQuietPeriod: duration('Time without a finished sweep or evaluation before the heap is released.', '1s'),
    // 10 s: a release costs 40-80 ms of main thread at 2,000 watched groups; at most one per
    // 10 s keeps that under 1 % of the time, and a daemon with a 10s interval releases once per round.
    releaseMinInterval: duration('Least time between two heap releases (after one that took d, at least 100 × d, so releases take at most 1 % of the time); also the longest a release waits when work never goes quiet.', '10s'),
  })
  .superRefine((section, context) => {
    if (section.releaseMinInterval <= 0) {
      context.addIssue({ code: 'custom', path: ['releaseMinInterval'], message: 'must be longer than 0s, or the heap could be released after every evaluation' });
    }
  })
  .describe('Memory: returning freed heap pages to the system between sweeps.');

export type MemoryConfig = z.output<typeof memorySchema>;
