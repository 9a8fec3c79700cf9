// How fast an alert reaches the actuator, and how many webhook requests the server takes.
// The daemon's own parts, put together as startDaemon does: the HTTP server, the Alertmanager
// webhook (bearer token, dedup, routes), the alert action executor, the reconciler with its
// decision engine and journal (memory store), and the real JSON logger (writing to nowhere).
// Only two parts are stand-ins: the collection answers at once with a quiet group (Kafka's
// collection time is measured by bench/lag-sweep.ts), and the actuator records when it is
// called, so its own time is not counted.
//
//   node bench/alert-reaction.ts [--targets 1000] [--cycles 1] [--step-seconds 4]
//
// 1. Reaction: each target gets a firing alert that raises its minimum, then the resolution;
//    each causes one actuator call. Reported: p50/p99 from the moment the client starts the
//    POST to the actuator's call (both clocks are this process's performance.now()).
// 2. Rate: a separate client process sends webhook requests open-loop at a fixed rate, stepping
//    the rate up; reported per step: achieved rate, request p50/p99 and the server's CPU time per
//    request. Two kinds of request: `changes` (each alert flips between firing and resolved, so
//    every request reaches the loop) and `repeats` (Alertmanager's re-notifications, dropped by
//    dedup). The answer is the highest rate whose p99 stays under 20 ms.
import { fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from '../src/actuators/actuator.ts';
import { alertsSchema } from '../src/config/schema/alerts.ts';
import { systemClock } from '../src/engine/clock.ts';
import type { CollectionPlan, TargetCollection } from '../src/engine/collection.ts';
import { MinimumHolds } from '../src/engine/minimum-holds.ts';
import { groupCollection } from '../src/engine/reconciler-fixtures.ts';
import { Reconciler, singleInstanceGate, type ReconciledTarget } from '../src/engine/reconciler.ts';
import { createLogger } from '../src/logging/logger.ts';
import { defaultEngineConfig } from '../src/policies/config.ts';
import { alertActionExecutor } from '../src/server/alert-actions.ts';
import { AlertRouter } from '../src/server/alert-routes.ts';
import { AlertmanagerWebhook } from '../src/server/alertmanager-webhook.ts';
import { startHttpServer } from '../src/server/http-server.ts';
import { createMetricsRegistry } from '../src/server/metrics.ts';
import { ReadinessChecks } from '../src/server/readiness.ts';
import { MemoryStateStore } from '../src/state/memory-store.ts';

const bearerToken = 'alert-reaction-benchmark-token';
const p99GoalMillis = 50;
const rateP99LimitMillis = 20;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number, got ${process.argv[index + 1] ?? 'nothing'}`);
  return value;
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

function alertPayload(target: string, status: 'firing' | 'resolved', fingerprint: string): string {
  const alert = {
    status,
    labels: { alertname: 'KafkaConsumerLagHigh', lagpilot_target: target, severity: 'warning' },
    annotations: { summary: `lag of ${target} is high` },
    startsAt: '2026-11-23T20:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint,
  };
  return JSON.stringify({
    version: '4', status, receiver: 'lagpilot', groupKey: `{}:{alertname="KafkaConsumerLagHigh", lagpilot_target="${target}"}`, truncatedAlerts: 0,
    groupLabels: { alertname: 'KafkaConsumerLagHigh' }, commonLabels: alert.labels, commonAnnotations: alert.annotations, externalURL: 'http://127.0.0.1:9093', alerts: [alert],
  });
}

/** Remembers when it was called; answers at once, so the actuator's own time is not measured. */
class TimingActuator implements Actuator {
  readonly kind = 'timing';
  readonly dryRun = false;
  replicas = 1;
  readonly waiters: ((calledAt: number) => void)[] = [];
  calls = 0;

  current(): Promise<ActuatorState> {
    return Promise.resolve({ replicas: this.replicas, notices: [] });
  }

  apply(request: ActuationRequest): Promise<ActuationResult> {
    const calledAt = performance.now();
    this.calls += 1;
    for (const waiter of this.waiters.splice(0)) waiter(calledAt);
    const before = this.replicas;
    this.replicas = request.decision.desired;
    return Promise.resolve({ status: 'applied', code: 'Scaled', detail: `${before} -> ${this.replicas}`, replicasBefore: before, replicasAfter: this.replicas });
  }

  nextCall(): Promise<number> {
    return new Promise((resolveCall) => { this.waiters.push(resolveCall); });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function quietCollection(plan: CollectionPlan, members: number): TargetCollection {
  return groupCollection(plan.target, { lagMessages: 0, lagSeconds: 0, produceRate: 10, consumeRate: 10, members }, Date.now(), 'bench');
}

async function startServer(targetCount: number) {
  const registry = createMetricsRegistry('bench');
  const logger = createLogger({ level: 'info', stream: new Writable({ write: (_chunk, _encoding, done) => { done(); } }) });
  const actuators = new Map<string, TimingActuator>();
  const targets: ReconciledTarget[] = Array.from({ length: targetCount }, (_, index) => {
    const name = `target-${index}`;
    const actuator = new TimingActuator();
    actuators.set(name, actuator);
    const engine = defaultEngineConfig();
    engine.lag.targetLagSeconds = 30;
    engine.throughput.capacityPerReplica = 100;
    engine.safety.minReplicas = 1;
    engine.safety.maxReplicas = 12;
    // The resolution's scale-down must reach the actuator at once, as the firing's scale-up does.
    engine.safety.scaleDownStabilizationSeconds = 0;
    engine.safety.scaleDownCooldownAfterScaleUpSeconds = 0;
    engine.safety.scaleDownCooldownAfterScaleDownSeconds = 0;
    engine.safety.rebalancePauseSeconds = 0;
    return { name, engine, plan: { target: name, readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 };
  });
  const holds = new MinimumHolds({ now: () => systemClock.now(), registry });
  const reconciler = new Reconciler({
    targets,
    collect: (plan) => Promise.resolve(quietCollection(plan, actuators.get(plan.target)?.replicas ?? 1)),
    store: new MemoryStateStore(),
    leader: singleInstanceGate('bench'),
    clock: systemClock,
    logger: logger.child({ component: 'reconciler' }),
    registry,
    minimumHolds: holds,
  });
  const alerts = alertsSchema.parse({
    auth: { bearerToken },
    routes: [{ name: 'lag-floor', matchers: ['alertname="KafkaConsumerLagHigh"'], action: { type: 'raiseMinReplicas', targetLabel: 'lagpilot_target', minReplicas: 4, maxDuration: '1h' } }],
  });
  const alertLogger = logger.child({ component: 'alertmanager-webhook' });
  const webhook = new AlertmanagerWebhook(registry, alertLogger, {
    auth: alerts.auth,
    dedup: { windowMillis: alerts.dedupWindow, maxEntries: alerts.dedupMaxEntries },
    router: new AlertRouter(alerts.routes, reconciler.targets),
    execute: alertActionExecutor(reconciler, holds, alertLogger),
  });
  const server = await startHttpServer({
    host: '127.0.0.1', port: 0, maxBodyBytes: 1024 * 1024, registry, readiness: new ReadinessChecks(), alertmanagerWebhook: webhook, logger: logger.child({ component: 'http' }),
  });
  return { server, actuators, registry };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(port: number, body: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const request = httpRequest({
      host: '127.0.0.1', port, method: 'POST', path: '/webhooks/alertmanager', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearerToken}`, 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      response.resume();
      response.on('end', () => { resolvePost(response.statusCode ?? 0); });
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * `concurrency` senders take targets from a queue; each target gets `cycles` firing/resolved
 * pairs in turn. Few cycles per target keep its journal as short as a real target's: every
 * evaluation reads the decisions of its cooldown window, so a target made to decide hundreds of
 * times a second would measure the journal read, not the alert path.
 */
async function measureReaction(port: number, actuators: Map<string, TimingActuator>, cycles: number, concurrency: number): Promise<number[]> {
  const reactions: number[] = [];
  const queue = [...actuators.entries()].map(([target, actuator], index) => ({ target, actuator, fingerprint: `fp-${index}` }));
  const sender = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await alertCycles(port, next.target, next.actuator, next.fingerprint, cycles, reactions);
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return reactions;
}

async function alertCycles(port: number, target: string, actuator: TimingActuator, fingerprint: string, cycles: number, reactions: number[]): Promise<void> {
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    for (const status of ['firing', 'resolved'] as const) {
      const body = alertPayload(target, status, fingerprint);
      const called = actuator.nextCall();
      const sentAt = performance.now();
      const answer = await post(port, body);
      if (answer !== 200) throw new Error(`webhook answered ${answer} for ${target} ${status}`);
      const calledAt = await Promise.race([called, new Promise<number>((_resolve, reject) => { setTimeout(() => { reject(new Error(`no actuator call for ${target} ${status} within 5 s`)); }, 5_000).unref(); })]);
      reactions.push(calledAt - sentAt);
    }
  }
}

interface RateStep { rate: number; sent: number; achieved: number; p50: number; p99: number; errors: number; clientCpuMillisPerRequest: number }

/** Runs in a child process: sends at `rate` requests/s for `seconds`, open-loop, and reports. */
/**
 * `changes`: each request flips its target's alert between firing and resolved, so every one
 * reaches the loop (an evaluation and a decision). `repeats`: the same firing alerts again, as
 * Alertmanager's re-notifications of a group bring them; after the first, all are deduplicated.
 */
type LoadMode = 'changes' | 'repeats';

async function loadClient(port: number, rate: number, seconds: number, targetCount: number, mode: LoadMode): Promise<RateStep> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  let errors = 0;
  let sent = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const statuses = new Map<number, 'firing' | 'resolved'>();
  while (sent < total) {
    // Send everything that is due by now, then sleep a millisecond: a steady open-loop rate that
    // does not slow down when the server does.
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      const index = sent % targetCount;
      const status = mode === 'changes' && statuses.get(index) === 'firing' ? 'resolved' : 'firing';
      statuses.set(index, status);
      const body = alertPayload(`target-${index}`, status, `fp-${index}`);
      const at = performance.now();
      sent += 1;
      pending.push(post(port, body).then(
        (answer) => { if (answer === 200) latencies.push(performance.now() - at); else errors += 1; },
        () => { errors += 1; },
      ));
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 1));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate, sent, achieved: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors, clientCpuMillisPerRequest: (cpu.user + cpu.system) / 1000 / sent };
}

async function runLoadStep(port: number, rate: number, seconds: number, targetCount: number, mode: LoadMode): Promise<RateStep> {
  const child = fork(fileURLToPath(import.meta.url), ['--load-client', String(port), String(rate), String(seconds), String(targetCount), mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolveStep, reject) => {
    child.once('message', (message) => { resolveStep(message as RateStep); });
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`load client exited with ${code}`)); });
  });
}

function format(value: number): string {
  return value.toFixed(2);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--load-client') {
    const [port, rate, seconds, targetCount] = process.argv.slice(3, 7).map(Number);
    const mode: LoadMode = process.argv[7] === 'repeats' ? 'repeats' : 'changes';
    const step = await loadClient(port ?? 0, rate ?? 0, seconds ?? 0, targetCount ?? 1, mode);
    process.send?.(step);
    agent.destroy();
    return;
  }
  const targetCount = option('targets', 1000);
  const cycles = option('cycles', 1);
  const stepSeconds = option('step-seconds', 4);
  const { server, actuators } = await startServer(targetCount);
  // Both phases share the machine with whatever else runs: say how busy it was.
  const load = (): string => `load average ${loadavg().map((value) => value.toFixed(1)).join(' ')} on ${availableParallelism()} cores`;
  console.log(`${targetCount} targets; ${load()}`);
  try {
    // Warm-up on a tenth of the targets: the first requests compile the code paths.
    await measureReaction(server.port, new Map([...actuators].slice(0, Math.ceil(targetCount / 10))), 1, 4);
    for (const concurrency of [1, 8]) {
      const cpuBefore = process.cpuUsage();
      const reactions = await measureReaction(server.port, new Map([...actuators].slice(Math.ceil(targetCount / 10))), cycles, concurrency);
      const cpu = process.cpuUsage(cpuBefore);
      const p50 = percentile(reactions, 0.5);
      const p99 = percentile(reactions, 0.99);
      console.log(`reaction, webhook POST start -> actuator call, ${concurrency} concurrent sender(s): ${reactions.length} alerts`);
      console.log(`  p50 ${format(p50)} ms, p99 ${format(p99)} ms, max ${format(Math.max(...reactions))} ms (goal p99 < ${p99GoalMillis} ms: ${p99 < p99GoalMillis ? 'met' : 'NOT met'})`);
      // CPU time does not depend on what else runs: it says what one alert costs this process
      // (server and sender together here).
      console.log(`  CPU per alert (server and sender): ${format((cpu.user + cpu.system) / 1000 / reactions.length)} ms`);
    }

    console.log(`request rate, open-loop from a separate process, ${stepSeconds} s per step:`);
    console.log('| requests | offered req/s | achieved req/s | p50 ms | p99 ms | errors | server CPU ms per request | client CPU ms per request |');
    console.log('|---|---|---|---|---|---|---|---|');
    const bestByMode = new Map<LoadMode, RateStep>();
    for (const mode of ['changes', 'repeats'] as const) {
      // Up until the server no longer keeps up; the answer is the highest step with p99 under
      // the limit (a busy machine can spoil one step's p99 and not the next).
      for (let rate = 50; rate <= 64_000; rate *= 2) {
        const cpuBefore = process.cpuUsage();
        const step = await runLoadStep(server.port, rate, stepSeconds, targetCount, mode);
        const cpu = process.cpuUsage(cpuBefore);
        console.log(`| ${mode} | ${step.rate} | ${step.achieved.toFixed(0)} | ${format(step.p50)} | ${format(step.p99)} | ${step.errors} | ${format((cpu.user + cpu.system) / 1000 / step.sent)} | ${format(step.clientCpuMillisPerRequest)} |`);
        if (step.errors === 0 && step.p99 < rateP99LimitMillis && step.achieved >= 0.95 * step.rate) bestByMode.set(mode, step);
        if (step.errors > 0 || step.achieved < 0.9 * step.rate) break;
      }
      const best = bestByMode.get(mode);
      if (best === undefined) console.log(`${mode}: no rate sustained with p99 < ${rateP99LimitMillis} ms`);
      else console.log(`${mode}: highest rate sustained with p99 < ${rateP99LimitMillis} ms: ${best.rate} req/s (achieved ${best.achieved.toFixed(0)}, p99 ${format(best.p99)} ms)`);
    }
    const calls = [...actuators.values()].reduce((sum, actuator) => sum + actuator.calls, 0);
    console.log(`actuator calls in all: ${calls}; ${load()}`);
  } finally {
    await server.close(1_000);
    agent.destroy();
  }
}

await main();
