// `npm run local`: the README's first command, the demo. lagpilot's main job on its embedded
// default, on this machine:
//   - the local Kafka of the project's environment (reused when it runs, started otherwise);
//   - a topic fed by a load generator replaying a workload trace, time-compressed;
//   - `lagpilot run` (the real daemon, as a child process) scaling a group of consumer worker
//     processes with the local-process actuator, journalling in Redis when one is given and in
//     memory otherwise;
//   - progress and every decision with its reasons in the terminal, the status page's URL.
// Ctrl-C stops the load generator, then lagpilot, which stops its workers; the topic and group
// are deleted. Kafka keeps running for the next start (`npm run env -- down` stops it).
//
// The daemon runs in a process group of its own, and its workers with it: Ctrl-C reaches only
// this script, which stops everything in order (the load first, so no decision reacts to the
// shutdown) and checks that no process of that group is left.
import { Admin } from '@platformatic/kafka';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { DaemonView } from '../src/demo/daemon-view.ts';
import { LoadGenerator } from '../src/demo/load-generator.ts';
import { modelReplicaCapacity, TraceReplay } from '../src/demo/replay.ts';
import { formatDecision, formatProgress, isNewsworthy } from '../src/demo/terminal-lines.ts';
import type { Decision } from '../src/policies/types.ts';
import { loadTrace } from '../src/sim/trace.ts';
import { ensureService } from '../test/env/environment.ts';
import { repoRoot, runRoot } from '../test/env/paths.ts';
import { freeLoopbackPort } from '../test/env/ports.ts';
import type { KafkaDetails } from '../test/env/services/kafka.ts';
import type { RedisDetails } from '../test/env/services/redis.ts';

/** When the command started: `node` itself, so module loading counts towards the first decision. */
const commandStartedAt = Date.now() - process.uptime() * 1000;
/** Embedded in the repo, so the demo runs without ../shared/traces. */
const defaultTrace = 'config/traces/step.csv';
const targetName = 'demo';
const defaultPort = 9464;

interface DemoOptions {
  trace: string;
  speed: number;
  workerRate: number;
  traceCapacity: number;
  partitions: number;
  maxWorkers: number;
  port?: number;
  redis?: string;
  loop: boolean;
  stopAfter?: number;
  progressEvery: number;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return parsed;
}

function wholeNumber(minimum: number, maximum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < minimum || parsed > maximum) throw new InvalidArgumentError(`"${value}" is not a whole number from ${minimum} to ${maximum}`);
    return parsed;
  };
}

function parseOptions(argv: string[]): DemoOptions {
  const program = new Command()
    .name('npm run local --')
    .description('The lagpilot demo: a local Kafka, a replayed workload trace, lagpilot scaling real consumer workers. Ctrl-C stops it.')
    .option('--trace <file>', 'workload trace, CSV "t,rate" (e.g. ../shared/traces/bursty.csv)', defaultTrace)
    .option('--speed <factor>', 'time compression: trace seconds played per real second', positiveNumber, 60)
    .option('--worker-rate <msgs>', 'messages per second one worker processes', positiveNumber, 50)
    .option('--trace-capacity <msgs>', 'messages per second one replica handles in the trace\'s model (the rate is scaled by worker-rate / this)', positiveNumber, modelReplicaCapacity)
    .option('--partitions <count>', 'partitions of the demo topic', wholeNumber(1, 1000), 24)
    .option('--max-workers <count>', 'most workers lagpilot may run', wholeNumber(1, 64), 12)
    .option('--port <port>', `port of lagpilot's HTTP server and status page (default ${defaultPort}, or a free one when it is taken)`, wholeNumber(1, 65_535))
    .option('--redis <url>', 'journal decisions in this Redis ("local": the environment\'s); default $LAGPILOT_REDIS_URL, else in memory')
    .option('--no-loop', 'play the trace once, then produce nothing (lagpilot scales back in)')
    .option('--stop-after <seconds>', 'stop by itself after this many seconds, as Ctrl-C would', positiveNumber)
    .option('--progress-every <seconds>', 'seconds between progress lines', positiveNumber, 3)
    .parse(argv);
  const options = program.opts<DemoOptions>();
  const redis = options.redis ?? process.env.LAGPILOT_REDIS_URL;
  const parsed: DemoOptions = { ...options };
  if (redis !== undefined && redis !== '') parsed.redis = redis;
  return parsed;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function seconds(millis: number): string {
  return (millis / 1000).toFixed(1);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => { resolvePort(false); });
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolvePort(true); }); });
  });
}

async function choosePort(requested: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  if (await portIsFree(defaultPort)) return defaultPort;
  const port = await freeLoopbackPort();
  say(`port ${defaultPort} is taken: lagpilot listens on ${port} instead (--port chooses)`);
  return port;
}

async function resolveRedis(option: string | undefined): Promise<string | undefined> {
  if (option === undefined) return undefined;
  if (option !== 'local') return option;
  const redis = await ensureService<RedisDetails>('redis');
  return redis.url;
}

/** True while any process of the group led by `leader` lives. */
function groupAlive(leader: number): boolean {
  try {
    process.kill(-leader, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(leader: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leader, signal);
  } catch {
    // Gone already.
  }
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
}

/**
 * The group can be deleted only once the coordinator has seen every member leave, which lags
 * the workers' exit by a moment: a few tries, then the reason.
 */
async function deleteGroupWhenEmpty(admin: Admin, group: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    try {
      // A run stopped before its first worker joined has no group to delete.
      if (!(await admin.listGroups()).has(group)) return;
      await admin.deleteGroups({ groups: [group] });
      return;
    } catch (error) {
      lastError = error;
      await sleep(1_000);
    }
  }
  const nested = (lastError as { errors?: unknown[] } | undefined)?.errors ?? [];
  const details = nested.map((entry) => (entry instanceof Error ? entry.message : String(entry))).join('; ');
  say(`could not delete the consumer group ${group}: ${(lastError as Error).message}${details === '' ? '' : ` (${details})`}`);
}

function readExit(state: { exit?: { code: number | null; signal: NodeJS.Signals | null } }): { code: number | null; signal: NodeJS.Signals | null } | undefined {
  return state.exit;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  // Taken from the start: a Ctrl-C while Kafka or lagpilot starts still stops what was started.
  // Set by callbacks (the child's exit, signals): read through this object, never narrowed.
  const daemonState: { pid?: number; exit?: { code: number | null; signal: NodeJS.Signals | null } } = {};
  let stopRequested: string | undefined;
  const stopWaiters: (() => void)[] = [];
  const requestStop = (why: string): void => {
    if (stopRequested !== undefined) {
      say(`${why} again: killing lagpilot and its workers at once`);
      if (daemonState.pid !== undefined) killGroup(daemonState.pid, 'SIGKILL');
      process.exit(130);
    }
    stopRequested = why;
    for (const wake of stopWaiters.splice(0)) wake();
  };
  process.on('SIGINT', () => { requestStop('Ctrl-C'); });
  process.on('SIGTERM', () => { requestStop('SIGTERM'); });
  const stoppedWhileStarting = (): boolean => {
    if (stopRequested === undefined) return false;
    say(`${stopRequested} before lagpilot started: nothing of the demo is left running`);
    return true;
  };
  // Relative paths are the user's: npm runs scripts from the package root but says where it was called (INIT_CWD).
  const tracePath = options.trace === defaultTrace ? join(repoRoot, defaultTrace) : resolve(process.env.INIT_CWD ?? process.cwd(), options.trace);
  const trace = loadTrace(tracePath);
  const replay = new TraceReplay({ trace, speed: options.speed, workerCapacity: options.workerRate, traceCapacity: options.traceCapacity, loop: options.loop });
  const peakRate = Math.max(...trace.ratePerSecond);
  say(`lagpilot demo: trace ${relative(repoRoot, tracePath)} (${trace.ratePerSecond.length} s, up to ${peakRate} msg/s) at ${options.speed}x: ` +
    `${seconds(replay.realSeconds * 1000)} s per play${options.loop ? ', repeated' : ', once'}; one worker processes ${options.workerRate} msg/s, ` +
    `so the peak needs ${Math.ceil(replay.scale(peakRate) / options.workerRate)} workers (the trace's model: ${Math.ceil(peakRate / options.traceCapacity)} replicas)`);

  const kafkaStartedAt = Date.now();
  say('kafka: starting or reusing the local Kafka (the first run on a machine downloads it)...');
  const kafka = await ensureService<KafkaDetails>('kafka');
  const reused = Date.parse(kafka.startedAt) < kafkaStartedAt;
  const kafkaReadyAfter = Date.now() - commandStartedAt;
  say(`kafka: ${kafka.bootstrap}, ${reused ? 'already running' : `started in ${seconds(Date.now() - kafkaStartedAt)} s`}`);
  if (stoppedWhileStarting()) return 0;
  const redisUrl = await resolveRedis(options.redis);
  if (stoppedWhileStarting()) return 0;
  say(redisUrl === undefined ? 'journal: in memory (--redis URL or LAGPILOT_REDIS_URL keeps it in Redis)' : `journal: Redis at ${redisUrl}`);

  const runId = randomUUID().slice(0, 8);
  const topic = `lagpilot-demo-${runId}`;
  const group = `lagpilot-demo-workers-${runId}`;
  const runDir = join(runRoot, 'demo', runId);
  const workerLogDir = join(runDir, 'workers');
  mkdirSync(workerLogDir, { recursive: true });

  const admin = new Admin({ clientId: 'lagpilot-demo-admin', bootstrapBrokers: [kafka.bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: options.partitions, replicas: 1 });
  say(`topic ${topic}: ${options.partitions} partitions; consumer group ${group}`);

  // The topic and group are this run's alone: deleted however the run ends.
  try {
    let configText = readFileSync(join(repoRoot, 'config', 'demo.yaml'), 'utf8');
    if (redisUrl !== undefined) configText += `redis:\n  url: "\${LAGPILOT_REDIS_URL}"\n  keyPrefix: "lagpilot-demo-${runId}:"\n`;
    const configFile = join(runDir, 'lagpilot.yaml');
    writeFileSync(configFile, configText);
    const port = await choosePort(options.port);
    const daemonLog = join(runDir, 'lagpilot.log');
    const logFd = openSync(daemonLog, 'a');
    let daemon: ChildProcess;
    try {
      daemon = spawn(process.execPath, [join(repoRoot, 'src', 'cli.ts'), 'run', '--config', configFile], {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: {
          ...process.env,
          LAGPILOT_PORT: String(port),
          LAGPILOT_KAFKA_BOOTSTRAP: kafka.bootstrap,
          LAGPILOT_DEMO_TOPIC: topic,
          LAGPILOT_DEMO_GROUP: group,
          LAGPILOT_DEMO_MAX_WORKERS: String(options.maxWorkers),
          LAGPILOT_DEMO_NODE: process.execPath,
          LAGPILOT_DEMO_WORKER: join(repoRoot, 'src', 'demo', 'worker.ts'),
          LAGPILOT_DEMO_WORKER_RATE: String(options.workerRate),
          LAGPILOT_DEMO_LOG_DIR: workerLogDir,
          ...(redisUrl === undefined ? {} : { LAGPILOT_REDIS_URL: redisUrl }),
        },
      });
    } finally {
      closeSync(logFd);
    }
    const leader = daemon.pid;
    if (leader === undefined) throw new Error(`could not start lagpilot (${process.execPath} src/cli.ts run)`);
    daemonState.pid = leader;
    const daemonExited = new Promise<void>((resolveExit) => {
      daemon.once('exit', (code, signal) => {
        daemonState.exit = { code, signal };
        resolveExit();
      });
    });
    // Whatever ends this script, lagpilot and its workers must not outlive it.
    process.once('exit', () => { if (daemonState.exit === undefined) killGroup(leader, 'SIGTERM'); });
    say(`lagpilot: pid ${leader}, config ${relative(repoRoot, configFile)} (from config/demo.yaml), log ${relative(repoRoot, daemonLog)}, worker logs ${relative(repoRoot, workerLogDir)}/`);

    const view = new DaemonView(`http://127.0.0.1:${port}`, targetName);
    const answerBy = Date.now() + 60_000;
    let answered = false;
    while (stopRequested === undefined) {
      if (await view.answers()) {
        answered = true;
        break;
      }
      const early = daemonState.exit;
      if (early !== undefined) throw new Error(`lagpilot exited (code ${early.code ?? early.signal ?? 'unknown'}) before it answered on port ${port}; its log ${daemonLog} ends with:\n${logTail(daemonLog)}`);
      if (Date.now() > answerBy) throw new Error(`lagpilot did not answer http://127.0.0.1:${port}/healthz within 60 s; its log ${daemonLog} ends with:\n${logTail(daemonLog)}`);
      await sleep(200);
    }
    const daemonAnsweringAfter = Date.now() - commandStartedAt;
    if (answered) {
      say(`status page: http://127.0.0.1:${port}/  (decisions: http://127.0.0.1:${port}/api/decisions?target=${targetName}, metrics: /metrics)`);
      say('Ctrl-C stops the demo.');
    }

    let sendErrorShown = false;
    const load = new LoadGenerator({
      bootstrap: kafka.bootstrap,
      topic,
      partitions: options.partitions,
      replay,
      onSendError: (error) => {
        if (sendErrorShown) return;
        sendErrorShown = true;
        say(`load: a send failed, retrying (${(error as Error).message})`);
      },
    });
    if (answered) load.start();
    const loadStartedAt = Date.now();

    const stopAfterTimer = options.stopAfter === undefined ? undefined : setTimeout(() => { requestStop(`--stop-after ${options.stopAfter}`); }, options.stopAfter * 1000);

    const shown = new Set<number>();
    let lastShown: Decision | undefined;
    let firstDecision: Decision | undefined;
    let decisionsSeen = 0;
    let nextProgressAt = 0;
    let replayOverShown = false;
    while (stopRequested === undefined && daemonState.exit === undefined) {
      try {
        for (const decision of await view.decisions(50)) {
          if (shown.has(decision.time)) continue;
          shown.add(decision.time);
          decisionsSeen += 1;
          const traceSecond = replay.position(decision.time - loadStartedAt / 1000).traceSecond;
          if (firstDecision === undefined) {
            firstDecision = decision;
            say(`first decision after ${seconds(decision.time * 1000 - commandStartedAt)} s`);
          }
          if (isNewsworthy(decision, lastShown)) {
            for (const line of formatDecision(decision, commandStartedAt, traceSecond)) say(line);
            lastShown = decision;
          }
        }
      } catch (error) {
        say(`(decisions unreadable: ${(error as Error).message})`);
      }
      const now = Date.now();
      if (now >= nextProgressAt) {
        nextProgressAt = now + options.progressEvery * 1000;
        const position = replay.position(load.elapsedSeconds());
        const reading = await view.metrics(group).catch(() => ({}));
        say(formatProgress({
          elapsedSeconds: (now - commandStartedAt) / 1000,
          traceSecond: position.traceSecond,
          traceSeconds: replay.traceSeconds,
          round: position.round,
          produceRate: position.rate,
          traceRate: position.traceRate,
          neededWorkers: position.rate / options.workerRate,
          ...reading,
        }));
        if (position.finished && !replayOverShown) {
          replayOverShown = true;
          say('the trace is over: no more load; lagpilot scales the workers back in (Ctrl-C stops the demo)');
        }
      }
      await Promise.race([sleep(1_000), new Promise<void>((wake) => { stopWaiters.push(wake); })]);
    }
    clearTimeout(stopAfterTimer);

    const problems: string[] = [];
    const exitedEarly = daemonState.exit;
    if (exitedEarly !== undefined && stopRequested === undefined) {
      problems.push(`lagpilot exited on its own (code ${exitedEarly.code ?? exitedEarly.signal ?? 'unknown'}); its log ${daemonLog} ends with:\n${logTail(daemonLog)}`);
    }
    say(`stopping (${stopRequested ?? 'lagpilot exited'}): the load generator, then lagpilot and its workers...`);
    const produced = await load.stop();
    say(`load generator stopped: ${produced.sent} messages produced in ${produced.elapsedSeconds.toFixed(0)} s`);
    const daemonStopAsked = Date.now();
    if (daemonState.exit === undefined) {
      daemon.kill('SIGTERM');
      const deadline = setTimeout(() => {
        problems.push('lagpilot did not stop within 40 s: killed it and its workers');
        killGroup(leader, 'SIGKILL');
      }, 40_000);
      await daemonExited;
      clearTimeout(deadline);
      // Read after the await: the exit callback set it meanwhile.
      const exit = readExit(daemonState) ?? { code: null, signal: null };
      // Killed by the SIGTERM itself: it came before lagpilot took its signals, while its modules
      // loaded, when it had started nothing (the group check below still looks for leftovers).
      if (exit.signal === 'SIGTERM' && !answered) say('lagpilot stopped before it had started');
      else if (exit.code !== 0) problems.push(`lagpilot stopped with ${exit.code === null ? `signal ${exit.signal ?? 'unknown'}` : `code ${exit.code}`}; its log ${daemonLog} ends with:\n${logTail(daemonLog)}`);
      else say(`lagpilot stopped cleanly in ${seconds(Date.now() - daemonStopAsked)} s (it stopped its workers first)`);
    }
    // Workers share lagpilot's process group: any left after it exited is an orphan.
    const orphansBy = Date.now() + 5_000;
    while (groupAlive(leader) && Date.now() < orphansBy) await sleep(100);
    if (groupAlive(leader)) {
      problems.push(`processes of lagpilot's group ${leader} outlived it: killed them`);
      killGroup(leader, 'SIGKILL');
    }


    say(firstDecision === undefined
      ? 'no decision was made before the demo stopped'
      : `first decision after ${seconds(firstDecision.time * 1000 - commandStartedAt)} s (kafka ready after ${seconds(kafkaReadyAfter)} s, lagpilot answering after ${seconds(daemonAnsweringAfter)} s; ${decisionsSeen} decisions in all)`);
    say(`Kafka keeps running at ${kafka.bootstrap} for the next start (npm run env -- down stops it)`);
    for (const problem of problems) say(`PROBLEM: ${problem}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await deleteGroupWhenEmpty(admin, group);
    try {
      await admin.deleteTopics({ topics: [topic] });
    } catch (error) {
      say(`could not delete the topic ${topic}: ${(error as Error).message}`);
    }
    await admin.close();
  }
}

main().then(
  (code) => { process.exit(code); },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
