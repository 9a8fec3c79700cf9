// Latency of one actuation, for docs/decisions/0011-actuators.md:
//   node test/integration/actuator-latency.ts
// Kubernetes: a scale that is applied (read workload, read scale, patch scale, annotate, Event:
// five requests) and one that is a noop (two requests), on the local kube-apiserver as its admin.
// Local processes: starting four node workers, and stopping them with SIGTERM.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- request bodies are object literals */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { KubernetesScaleActuator } from '../../src/actuators/kubernetes-scale.ts';
import { LocalProcessActuator } from '../../src/actuators/local-process.ts';
import { kubernetesScaleActuatorSchema, localProcessActuatorSchema } from '../../src/config/schema/actuators.ts';
import type { Decision } from '../../src/policies/types.ts';
import { ensureService } from '../env/environment.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { adminKubeConfig, uniqueName } from './kube-helpers.ts';

const rounds = 50;
const target = { name: 'latency' };

function decision(desired: number): Decision {
  return { time: Date.now() / 1000, current: 0, desired, action: 'scaleUp', reasons: [], recommendations: [] };
}

function percentile(samples: number[], fraction: number): string {
  const sorted = samples.slice().sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN).toFixed(1);
}

async function timed(run: () => Promise<{ status: string; detail: string }>, expected: string, samples: number[]): Promise<void> {
  const startedAt = performance.now();
  const result = await run();
  samples.push(performance.now() - startedAt);
  if (result.status !== expected) throw new Error(`expected ${expected}, got ${result.status}: ${result.detail}`);
}

const kube = await ensureService<KubeDetails>('kube');
const admin = adminKubeConfig(kube);
const namespace = uniqueName('lagpilot-latency');
await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
const labels = { app: 'latency' };
await admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
  namespace,
  body: {
    metadata: { name: 'latency' },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] } } },
  },
});
const kubernetes = new KubernetesScaleActuator(
  kubernetesScaleActuatorSchema.parse({ kind: 'kubernetesScale', workload: { kind: 'Deployment', name: 'latency', namespace } }),
  { kubeConfig: admin },
);
const applied: number[] = [];
const noop: number[] = [];
for (let round = 0; round < rounds; round++) {
  const desired = 2 + (round % 2);
  await timed(() => kubernetes.apply({ target, decision: decision(desired) }), 'applied', applied);
  await timed(() => kubernetes.apply({ target, decision: decision(desired) }), 'noop', noop);
}
await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
console.log(
  `kubernetesScale, ${rounds} rounds: applied p50 ${percentile(applied, 0.5)} ms, p95 ${percentile(applied, 0.95)} ms; noop p50 ${percentile(noop, 0.5)} ms, p95 ${percentile(noop, 0.95)} ms`,
);

const workers = new LocalProcessActuator(
  localProcessActuatorSchema.parse({
    kind: 'localProcess',
    command: process.execPath,
    args: ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 60000);"],
  }),
);
const started: number[] = [];
const stopped: number[] = [];
for (let round = 0; round < 5; round++) {
  await timed(() => workers.apply({ target, decision: decision(4) }), 'applied', started);
  // Lets each worker install its SIGTERM handler, so the stop measured is the graceful one.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await timed(() => workers.apply({ target, decision: decision(0) }), 'applied', stopped);
}
await workers.close();
console.log(
  `localProcess, 5 rounds: start 4 workers p50 ${percentile(started, 0.5)} ms, max ${Math.max(...started).toFixed(1)} ms; stop 4 (SIGTERM) p50 ${percentile(stopped, 0.5)} ms, max ${Math.max(...stopped).toFixed(1)} ms`,
);
