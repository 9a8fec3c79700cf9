// Time of one vertical recommendation over a long usage history: `node bench/resources-recommender.ts`.
// A week of one-minute samples from ten pods is 100,800 values per resource.
import { recommend } from '../src/actuators/resource-recommender.ts';

const samplesPerRun = 7 * 24 * 60 * 10;
const runs = 20;
const samples = Array.from({ length: samplesPerRun }, (_, index) => 0.05 + ((index * 7919) % 1000) / 1000);
const policy = { percentile: 0.9, margin: 0.15, min: 0.01, max: 8, limitRatio: 'keep' as const };
const timings: number[] = [];
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  recommend('cpu', { samples, current: { request: 0.5, limit: 1 }, policy, minSamples: 60, minChange: 0.1 });
  timings.push(performance.now() - started);
}
timings.sort((a, b) => a - b);
const at = (quantile: number): string => (timings[Math.ceil(quantile * timings.length) - 1] ?? Number.NaN).toFixed(1);
console.log(`${samplesPerRun} samples, ${runs} runs: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
