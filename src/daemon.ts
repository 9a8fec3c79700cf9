// `lagpilot run`: puts the parts together and takes them apart again in a fixed order.
// Start: metrics registry, dependency clients and their readiness checks, leader election, HTTP
// server, scheduler.
// Stop: report not ready, stop ticking (running ticks get the deadline), give up leadership (so a
// successor takes over at once), close the HTTP server, close every client. The whole stop shares one deadline (shutdown.deadline).
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Actuator } from './actuators/actuator.ts';
import { actuatorFromConfig } from './actuators/registry.ts';
import type { LagpilotConfig, RedisConfig, TargetConfig } from './config/schema.ts';
import { collectionPlan, collectorConfigProblems, createCollectorServices } from './collectors/registry.ts';
import { systemClock, type Clock } from './engine/clock.ts';
import { CollectionRunner, LastCollections } from './engine/collection.ts';
import { GroupMonitor } from './engine/group-monitor.ts';
import { exposedMemoryReducingCollection, HeapRelease } from './engine/heap-release.ts';
import { electorFromConfig, registerLeadershipMetrics } from './engine/elector-from-config.ts';
import type { LeaderElector } from './engine/leader-election.ts';
import { Reconciler, type ReconcileOutcome } from './engine/reconciler.ts';
import { Scheduler, type TickFunction } from './engine/scheduler.ts';
import { errorMessage, type Logger } from './logging/logger.ts';
import { MinimumHolds, RedisHoldStore } from './engine/minimum-holds.ts';
import { alertActionExecutor } from './server/alert-actions.ts';
import { AlertRouter } from './server/alert-routes.ts';
import { AlertmanagerWebhook } from './server/alertmanager-webhook.ts';
import { kafkaClusterCheck } from './server/checks/kafka.ts';
import { prometheusCheck } from './server/checks/prometheus.ts';
import { redisCheck } from './server/checks/redis.ts';
import { startHttpServer, type RunningHttpServer } from './server/http-server.ts';
import { exportedSampleNames, registerCollectorMetrics, type CollectorExposition } from './server/collector-metrics.ts';
import { createMetricsRegistry } from './server/metrics.ts';
import { ReadinessChecks } from './server/readiness.ts';
import { describeTargets } from './server/status-api.ts';
import { StatusHistory } from './server/status-history.ts';
import { engineConfigForTarget } from './policies/target-config.ts';
import { MemoryStateStore } from './state/memory-store.ts';
import { redisCommandFailure } from './state/redis-errors.ts';
import { RedisStateStore } from './state/redis-store.ts';
import type { StateStore } from './state/store.ts';

export interface DaemonOptions {
  config: LagpilotConfig;
  logger: Logger;
  version: string;
  clock?: Clock;
  /** The evaluation of one target; by default the control loop (collect, decide, actuate, journal). */
  tick?: TickFunction;
}

export interface ShutdownResult {
  /** True when everything finished within the deadline and every client closed. */
  clean: boolean;
  problems: string[];
}

export interface RunningDaemon {
  /** The HTTP port actually bound. */
  port: number;
  host: string;
  /** The gate before every actuation: only the leader applies decisions. */
  leader: LeaderElector;
  /** Evaluates a target at once (or right after its running evaluation); the alert path. */
  evaluateNow(target: string): Promise<ReconcileOutcome>;
  stop(): Promise<ShutdownResult>;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config } = options;
  const collectorProblems = collectorConfigProblems(config);
  if (collectorProblems.length > 0) throw new Error(`invalid collectors config: ${collectorProblems.join('; ')}`);
  const logger = options.logger.child({ component: 'daemon' });
  const clock = options.clock ?? systemClock;
  // The whole effective config (defaults included) answers "what is it really running with?";
  // the logger redacts its secrets (SASL, passwords in URLs, Authorization headers).
  logger.debug('effective config', { config });
  const registry = createMetricsRegistry(options.version);
  const readiness = new ReadinessChecks();
  const closers: { name: string; close: () => Promise<void> }[] = [];

  for (const cluster of config.clusters) readiness.register(kafkaClusterCheck(cluster));
  let redis: Redis | undefined;
  if (config.redis !== undefined) {
    const client = await connectRedis(config.redis, options.logger.child({ component: 'redis' }));
    redis = client;
    readiness.register(redisCheck(client));
    closers.push({ name: 'redis', close: async () => { await closeRedis(client); } });
  }
  // The client prefixes keys itself.
  const journal: StateStore = redis === undefined ? new MemoryStateStore() : new RedisStateStore(redis, { keyPrefix: '' });
  let leader: LeaderElector;
  try {
    leader = await electorFromConfig(config.leaderElection, { clock, logger: options.logger.child({ component: 'leader-election' }), redis });
  } catch (error) {
    await closeAll(closers, logger, config.shutdown.deadline);
    throw error;
  }
  registerLeadershipMetrics(registry, leader);
  if (config.prometheus !== undefined) readiness.register(prometheusCheck(config.prometheus));

  // Freed heap pages go back to the system once sweeps and evaluations go quiet.
  const heapRelease = new HeapRelease({
    collect: config.memory.releaseHeap ? exposedMemoryReducingCollection() : undefined,
    quietMillis: config.memory.releaseQuietPeriod,
    minIntervalMillis: config.memory.releaseMinInterval,
    clock,
    registry,
    logger: options.logger.child({ component: 'heap-release' }),
  });

  let reconciler: Reconciler | undefined;
  let collectorExposition: CollectorExposition | undefined;
  let tick: TickFunction;
  // The status page's last hour, fed by every evaluation of the control loop.
  const history = new StatusHistory({ registry });
  // Shared through Redis when there is one, so the leader sees a hold that an alert delivered
  // to a follower put in.
  const minimumHolds = new MinimumHolds({
    now: () => clock.now(),
    registry,
    logger: options.logger.child({ component: 'alert-holds' }),
    ...(redis === undefined ? {} : { store: new RedisHoldStore(redis) }),
  });
  if (options.tick === undefined) {
    try {
      const loop = await startControlLoop(config, { registry, redis, journal, leader, clock, logger: options.logger, closers, history, minimumHolds, heapRelease });
      reconciler = loop.reconciler;
      collectorExposition = loop.collectorExposition;
    } catch (error) {
      await closeAll(closers, logger, config.shutdown.deadline);
      throw error;
    }
    tick = reconciler.tick;
  } else {
    tick = options.tick;
  }
  const evaluate = tick;
  const tickThenNote: TickFunction = async (name, signal) => {
    try {
      await evaluate(name, signal);
    } finally {
      heapRelease.noteActivity();
    }
  };

  const alertLogger = options.logger.child({ component: 'alertmanager-webhook' });
  const alertmanagerWebhook = new AlertmanagerWebhook(registry, alertLogger, {
    auth: config.alerts.auth,
    dedup: { windowMillis: config.alerts.dedupWindow, maxEntries: config.alerts.dedupMaxEntries },
    now: () => clock.now(),
    ...(reconciler === undefined ? {} : {
      router: new AlertRouter(config.alerts.routes, reconciler.targets),
      execute: alertActionExecutor(reconciler, minimumHolds, alertLogger),
    }),
  });
  if (alertmanagerWebhook.open) alertLogger.warn('the Alertmanager webhook takes requests without credentials: set alerts.auth.bearerToken (or alerts.auth.hmac)');
  let server: RunningHttpServer;
  try {
    server = await startHttpServer({
      host: config.server.host,
      port: config.server.port,
      maxBodyBytes: config.server.maxBodyBytes,
      registry,
      readiness,
      alertmanagerWebhook,
      decisions: { store: journal, targets: config.targets.map((target) => target.name) },
      status: { version: options.version, targets: describeTargets(config.targets), history, store: journal, leader, now: () => clock.now() },
      // A scrape of 2,000 groups leaves megabytes of series and text behind.
      ...(collectorExposition === undefined ? {} : { moreMetrics: collectorExposition }),
      afterMetrics: () => { heapRelease.noteActivity(); },
      logger: options.logger.child({ component: 'http' }),
    });
  } catch (error) {
    await closeAll(closers, logger, config.shutdown.deadline);
    throw error;
  }

  const schedulerLogger = options.logger.child({ component: 'scheduler' });
  const scheduler = new Scheduler({
    targets: config.targets.map((target) => ({
      name: target.name,
      intervalMillis: target.interval,
      tickTimeoutMillis: target.tickTimeout,
    })),
    tick: tickThenNote,
    clock,
    logger: schedulerLogger,
    registry,
  });
  if (config.targets.length === 0 && config.monitor.length === 0) logger.warn('no targets configured: the loop has nothing to evaluate');
  leader.start();
  scheduler.start();
  logger.info('lagpilot started', {
    version: options.version,
    port: server.port,
    targets: config.targets.length,
    clusters: config.clusters.map((cluster) => cluster.name),
    readinessChecks: readiness.names,
  });

  let stopping: Promise<ShutdownResult> | undefined;
  const stop = async (): Promise<ShutdownResult> => {
    const deadlineAt = clock.now() + config.shutdown.deadline;
    const remaining = (): number => Math.max(0, deadlineAt - clock.now());
    const problems: string[] = [];
    readiness.markNotReady('shutting down');
    const { abandoned } = await scheduler.stop(remaining());
    // Nothing to release for once the loop stopped; its timer never keeps the process alive anyway.
    heapRelease.stop();
    if (abandoned.length > 0) problems.push(`ticks still running at the deadline: ${abandoned.join(', ')}`);
    // No tick acts any more: the lease can go to a successor now.
    problems.push(...(await closeAll([{ name: 'leader election', close: async () => { await leader.stop(); } }], logger, remaining())));
    await server.close(remaining());
    logger.info('http server closed');
    // Dependents first: actuators and collectors still hold the Redis client opened before them.
    problems.push(...(await closeAll([...closers].reverse(), logger, remaining())));
    return { clean: problems.length === 0, problems };
  };
  return {
    port: server.port,
    host: server.host,
    leader,
    evaluateNow: async (target) => {
      if (reconciler === undefined) throw new Error('this daemon runs a custom tick, not the control loop: nothing to evaluate');
      return reconciler.evaluateNow(target);
    },
    stop: async () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

interface ControlLoopWiring {
  registry: Registry;
  redis: Redis | undefined;
  journal: StateStore;
  leader: LeaderElector;
  clock: Clock;
  logger: Logger;
  closers: { name: string; close: () => Promise<void> }[];
  history: StatusHistory;
  minimumHolds: MinimumHolds;
  heapRelease: HeapRelease;
}

/**
 * The control loop of every target: its collectors through the runner (the last collection
 * also feeds /metrics), its engine settings and its actuator, joined by the reconciler.
 */
async function startControlLoop(config: LagpilotConfig, wiring: ControlLoopWiring): Promise<{ reconciler: Reconciler; collectorExposition: CollectorExposition }> {
  const actuators: { target: TargetConfig; actuator: Actuator }[] = [];
  for (const target of config.targets) {
    try {
      actuators.push({ target, actuator: await actuatorFromConfig(target.actuator) });
    } catch (error) {
      void Promise.allSettled(actuators.map((entry) => entry.actuator.close()));
      throw new Error(`target ${target.name}: ${errorMessage(error)}`, { cause: error });
    }
  }
  // Closed before the clients: local workers stop, connections to the apiserver end.
  wiring.closers.push({ name: 'actuators', close: async () => { await Promise.all(actuators.map((entry) => entry.actuator.close())); } });
  const services = createCollectorServices(config, { logger: wiring.logger.child({ component: 'collectors' }), redis: wiring.redis });
  wiring.closers.push({ name: 'collectors', close: () => services.close() });
  // Only what /metrics exports outlives the evaluation that collected it.
  const exported = exportedSampleNames(config.server.partitionMetrics);
  const last = new LastCollections((name) => exported.has(name));
  // Each tick's own signal carries the target's tickTimeout; this only bounds the longest.
  const runner = new CollectionRunner({ registry: wiring.registry, stepTimeoutMillis: Math.max(1, ...config.targets.map((target) => target.tickTimeout)) });
  // Groups only watched (config `monitor`) share the clusters' admin connections and the lag collector.
  const monitor = config.monitor.length === 0
    ? undefined
    : new GroupMonitor({ entries: config.monitor, targets: config.targets, clusters: services.clusters, lag: services.lag, registry: wiring.registry, logger: wiring.logger.child({ component: 'group-monitor' }), afterSweep: () => { wiring.heapRelease.noteActivity(); } });
  const collectorExposition = registerCollectorMetrics({ registry: wiring.registry, collections: last, partitionSeries: config.server.partitionMetrics, watched: monitor?.samples });
  if (monitor !== undefined) {
    // Closed before the collectors (closers run in reverse): no sweep is left using their clients.
    wiring.closers.push({ name: 'group monitor', close: () => monitor.stop() });
    monitor.start();
  }
  const reconciler = new Reconciler({
    targets: actuators.map(({ target, actuator }) => ({
      name: target.name,
      engine: engineConfigForTarget(target),
      plan: collectionPlan(target, services),
      actuator,
      evaluationTimeoutMillis: target.tickTimeout,
      logFields: { consumerGroup: target.consumerGroup, cluster: target.cluster },
    })),
    collect: (plan, signal) => runner.run(plan, signal),
    store: wiring.journal,
    leader: wiring.leader,
    clock: wiring.clock,
    logger: wiring.logger.child({ component: 'reconciler' }),
    registry: wiring.registry,
    last,
    onEvaluated: wiring.history.record,
    minimumHolds: wiring.minimumHolds,
  });
  return { reconciler, collectorExposition };
}

/** The daemon's Redis client; ioredis is loaded only when the config has a redis section. */
async function connectRedis(settings: RedisConfig, logger: Logger): Promise<Redis> {
  const { url, keyPrefix, commandTimeout } = settings;
  // Through `default` (module.exports): in the esbuild bundle a dynamic import of this CommonJS
  // package yields only `default`, where Node also gives named exports; module.exports has Redis.
  const { Redis: RedisClient } = (await import('ioredis')).default;
  const client = new RedisClient(url, {
    keyPrefix,
    // Fail commands at once while disconnected instead of queueing them: a readiness probe
    // must see the outage, and ticks must not pile up behind a dead connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that stops answering but keeps the connection open (a frozen process, a stalled
    // host) would otherwise leave every caller without a time limit of its own waiting for
    // ever: alert-hold writes, lock releases, /api/status. The command still reaches Redis and
    // may run once it answers again; only the caller stops waiting.
    commandTimeout,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  // Reconnect attempts repeat every few seconds; one line per outage is enough.
  let reportedOutage = false;
  client.on('error', (error: Error) => {
    if (reportedOutage) return;
    reportedOutage = true;
    logger.warn('redis unreachable; retrying', { url, error: error.message });
  });
  client.on('ready', () => {
    if (reportedOutage) logger.info('redis reachable again', { url });
    else logger.info('redis connected', { url });
    reportedOutage = false;
  });
  return client;
}

async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch (error) {
      // QUIT unanswered (Redis frozen): drop the connection rather than leave it open.
      client.disconnect();
      throw redisCommandFailure(client, 'QUIT', error);
    }
    return;
  }
  // Not connected: QUIT would fail; disconnecting stops the reconnect attempts.
  client.disconnect();
}

async function closeAll(closers: { name: string; close: () => Promise<void> }[], logger: Logger, deadlineMillis: number): Promise<string[]> {
  const problems: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadlinePassed = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error('the shutdown deadline passed')); }, deadlineMillis);
    timer.unref();
  });
  // Clients close one after the other, in the order given, all within what is left of the
  // shutdown deadline.
  for (const closer of closers) {
    try {
      await Promise.race([closer.close(), deadlinePassed]);
      logger.info('client closed', { client: closer.name });
    } catch (error) {
      problems.push(`closing ${closer.name} failed: ${errorMessage(error)}`);
      logger.warn('client did not close cleanly', { client: closer.name, error: errorMessage(error) });
    }
  }
  clearTimeout(timer);
  return problems;
}
