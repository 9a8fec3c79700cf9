// What the status page costs: the bytes a browser loads, and the heap the daemon's history
// holds once every ring is full (the bound documented in docs/decisions/0008).
//
//   node --expose-gc bench/status-page.ts [--targets 10]
//
// The history is filled with two hours of 1 s evaluations per target (twice the ring), with a
// scaling change every 100 evaluations carrying two reasons, as the reconciler reports them.
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Decision } from '../src/policies/types.ts';
import { StatusHistory } from '../src/server/status-history.ts';
import { statusPageCss } from '../src/server/status-page/page-css.ts';
import { statusPageHtml } from '../src/server/status-page/page-html.ts';
import { statusPageIcon } from '../src/server/status-page/page-icon.ts';
import { statusPageJs } from '../src/server/status-page/page-js.ts';

const { values } = parseArgs({ options: { targets: { type: 'string', default: '10' } } });
const targets = Number(values.targets);
const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc, or the heap figures mean nothing');

let raw = 0;
let compressed = 0;
for (const [name, body] of Object.entries({ html: statusPageHtml, script: statusPageJs, style: statusPageCss, icon: statusPageIcon })) {
  const bytes = Buffer.byteLength(body);
  const gzipped = gzipSync(body).length;
  raw += bytes;
  compressed += gzipped;
  console.log(`page ${name}: ${bytes} B (${gzipped} B gzipped)`);
}
console.log(`page total: ${(raw / 1000).toFixed(1)} KB (${(compressed / 1000).toFixed(1)} KB gzipped)`);

const evaluations = 7200;
const startMs = Date.now() - evaluations * 1000;
function decisionAt(index: number, target: number): Decision {
  const change = index % 100 === 0;
  return {
    time: (startMs + index * 1000) / 1000,
    current: 3,
    desired: change ? 4 : 3,
    action: change ? 'scaleUp' : 'none',
    reasons: [
      { code: 'LagAboveTarget', source: 'lag', message: `backlog ${String(index * 7 + target)} messages at 5 per replica needs 4`, evidence: {} },
      { code: 'HighestRecommendation', source: 'engine', message: 'lag asks for the most: 4', evidence: {} },
    ],
    recommendations: [],
  };
}

collectGarbage();
const heapBefore = process.memoryUsage().heapUsed;
const history = new StatusHistory();
for (let index = 0; index < evaluations; index += 1) {
  for (let target = 0; target < targets; target += 1) {
    history.record({
      target: `target-${String(target)}`,
      startedAtMs: startMs + index * 1000,
      outcome: { kind: 'kept', decision: decisionAt(index, target) },
      current: 3,
      signals: { time: 0, currentReplicas: 3, readyReplicas: 3, partitions: 6, backlogMessages: index * 7 + target, lagSeconds: index / 3 + target, dataAgeSeconds: 0.2, partialData: false, consecutiveFailedCollections: 0 },
    });
  }
}
collectGarbage();
const grown = process.memoryUsage().heapUsed - heapBefore;
console.log(`history: ${String(targets)} targets with full rings (${String(history.pointsPerTarget)} points, ${String(history.markersPerTarget)} markers each): heap +${(grown / 2 ** 20).toFixed(2)} MiB, ${(grown / targets / 1024).toFixed(0)} KiB per target`);
const nowMs = startMs + evaluations * 1000;
const hour = JSON.stringify({ points: history.points('target-0', 0, nowMs), markers: history.markers('target-0', 0, nowMs) });
console.log(`one target's full-hour /api/status/history answer: ${(Buffer.byteLength(hour) / 1024).toFixed(0)} KiB of JSON`);
