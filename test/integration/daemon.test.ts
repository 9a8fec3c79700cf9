// The real `lagpilot run` process: it starts, serves /healthz, /readyz (against the real Kafka,
// Redis and Prometheus of the local environment) and /metrics, and shuts down cleanly on SIGTERM and SIGINT.
// `validate-config` and `run` refuse an invalid file with exit code 2 and one line per problem.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { PrometheusDetails } from '../env/services/prometheus.ts';
import type { RedisDetails } from '../env/services/redis.ts';

const cliPath = join(repoRoot, 'src', 'cli.ts');
const workDir = mkdtempSync(join(tmpdir(), 'lagpilot-daemon-test-'));

function writeConfig(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

interface Finished { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

class DaemonProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly finished: Promise<Finished>;

  constructor(args: string[], command: string[] = [process.execPath, cliPath]) {
    const [executable = process.execPath, ...leading] = command;
    this.child = spawn(executable, [...leading, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.stdout += chunk.toString(); });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    this.finished = new Promise((resolveFinished) => {
      this.child.on('close', (code, signal) => { resolveFinished({ code, signal, stdout: this.stdout, stderr: this.stderr }); });
    });
  }

  logLines(): Record<string, unknown>[] {
    return this.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`lagpilot wrote a line that is not JSON: ${line}`);
      }
    });
  }

  describe(): string {
    return `exit code ${String(this.child.exitCode)}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  async waitForHealthy(port: number, timeoutMillis = 20_000): Promise<void> {
    const giveUpAt = Date.now() + timeoutMillis;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`lagpilot exited before /healthz answered: ${this.describe()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > giveUpAt) throw new Error(`/healthz did not answer within ${timeoutMillis} ms: ${this.describe()}`);
      await sleep(100);
    }
  }

  async stop(signal: NodeJS.Signals, timeoutMillis = 15_000): Promise<Finished> {
    this.child.kill(signal);
    const timer = setTimeout(() => { this.child.kill('SIGKILL'); }, timeoutMillis);
    const result = await this.finished;
    clearTimeout(timer);
    return result;
  }
}

interface ReadinessBody { ready: boolean; failing: string[]; checks: { name: string; ok: boolean; error?: string }[] }

describe('lagpilot run (the real process)', function () {
  let kafka: KafkaDetails;
  let redis: RedisDetails;
  let prometheus: PrometheusDetails;
  const running: DaemonProcess[] = [];

  before(async function () {
    kafka = await ensureService<KafkaDetails>('kafka');
    redis = await ensureService<RedisDetails>('redis');
    prometheus = await ensureService<PrometheusDetails>('prometheus');
  });

  afterEach(function () {
    // A failed assertion must not leave a daemon behind.
    for (const daemon of running.splice(0)) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });

  function configText(port: number, extraClusters = ''): string {
    return `
server: {host: 127.0.0.1, port: ${port}}
log: {level: debug}
clusters:
  - name: local
    bootstrap: ["\${TEST_KAFKA_BOOTSTRAP}"]
${extraClusters}
redis:
  url: ${redis.url}
  keyPrefix: "lagpilot-daemon-test:"
prometheus:
  url: ${prometheus.url}
  timeout: 2s
targets:
  - name: orders
    cluster: local
    consumerGroup: orders-consumers
    topics: [orders]
    interval: 200ms
    tickTimeout: 100ms
    replicas: {min: 1, max: 4}
    lag: {targetSeconds: 10}
    actuator: {kind: dryRun}
shutdown: {deadline: 5s}
`;
  }

  function startDaemon(configPath: string): DaemonProcess {
    const daemon = new DaemonProcess(['run', '--config', configPath]);
    running.push(daemon);
    return daemon;
  }

  it('serves health, readiness and metrics, ticks, and exits 0 on SIGTERM after a clean shutdown', async function () {
    const port = await freeLoopbackPort();
    process.env.TEST_KAFKA_BOOTSTRAP = kafka.bootstrap;
    const daemon = startDaemon(writeConfig('ready.yaml', configText(port)));
    await daemon.waitForHealthy(port);

    // Redis may still be connecting right after start: readiness is polled, not assumed.
    let readiness: { status: number; body: ReadinessBody } | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      readiness = { status: response.status, body: (await response.json()) as ReadinessBody };
      if (readiness.status === 200) break;
      await sleep(100);
    }
    expect(readiness?.status, JSON.stringify(readiness?.body)).to.equal(200);
    expect(readiness?.body.checks.map((check) => [check.name, check.ok])).to.deep.equal([['kafka:local', true], ['redis', true], ['prometheus', true]]);

    // Ticks every 200 ms: three ok ticks come within a second, or within 10 s on a loaded machine.
    let metrics = '';
    for (let attempt = 0; attempt < 100; attempt++) {
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      if (Number(/^lagpilot_ticks_total\{target="orders",outcome="ok"\} (\d+)$/m.exec(metrics)?.[1]) >= 3) break;
      await sleep(100);
    }
    expect(metrics).to.match(/^lagpilot_build_info\{version="0\.1\.0",node_version="v24\.[0-9.]+"\} 1$/m);
    expect(metrics).to.match(/^process_resident_memory_bytes \d+/m);
    const okTicks = Number(/^lagpilot_ticks_total\{target="orders",outcome="ok"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(okTicks, metrics).to.be.at.least(3);

    const finished = await daemon.stop('SIGTERM');
    expect(finished.code, daemon.describe()).to.equal(0);
    const messages = daemon.logLines().map((line) => `${String(line.component)}: ${String(line.message)}${typeof line.client === 'string' ? ` (${line.client})` : ''}`);
    const shutdown = messages.slice(messages.indexOf('main: shutdown requested'));
    // Leadership goes before the server closes, so a successor can take over at once; then each
    // client, dependents before the Redis client they share.
    expect(shutdown, messages.join('\n')).to.deep.equal([
      'main: shutdown requested',
      'scheduler: scheduler stopping',
      'scheduler: scheduler stopped',
      'daemon: client closed (leader election)',
      'daemon: http server closed',
      'daemon: client closed (collectors)',
      'daemon: client closed (actuators)',
      'daemon: client closed (redis)',
      'main: shutdown complete',
    ]);
    expect(daemon.logLines().find((line) => line.message === 'shutdown requested')).to.include({ signal: 'SIGTERM', level: 'info' });
  });

  it('is not ready while a configured cluster does not answer, and names it; exits 0 on SIGINT', async function () {
    const port = await freeLoopbackPort();
    const closedPort = await freeLoopbackPort();
    process.env.TEST_KAFKA_BOOTSTRAP = kafka.bootstrap;
    const daemon = startDaemon(writeConfig('not-ready.yaml', configText(port, `  - name: gone\n    bootstrap: ["127.0.0.1:${closedPort}"]\n`)));
    await daemon.waitForHealthy(port);
    // Redis may still be connecting right after start; the cluster that is gone stays failing.
    let status = 0;
    let body: ReadinessBody = { ready: false, failing: [], checks: [] };
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      status = response.status;
      body = (await response.json()) as ReadinessBody;
      if (body.failing.join() === 'kafka:gone') break;
      await sleep(100);
    }
    expect(status).to.equal(503);
    expect(body.failing).to.deep.equal(['kafka:gone']);
    expect(body.checks.find((check) => check.name === 'kafka:gone')?.error).to.equal(
      `no bootstrap broker answered (127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort})`,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    const finished = await daemon.stop('SIGINT');
    expect(finished.code, daemon.describe()).to.equal(0);
    expect(daemon.logLines().at(-1)).to.include({ message: 'shutdown complete' });
  });

  it('through bin/lagpilot.js on the system Node, passes SIGTERM on and exits 0 when lagpilot does', async function () {
    // bin/lagpilot.js re-runs itself on the pinned Node 24 when an older Node starts it; the
    // daemon is then a child process, which must get the signal too.
    const systemNode = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const port = await freeLoopbackPort();
    const daemon = new DaemonProcess(['run', '--config', writeConfig('bin.yaml', `server: {host: 127.0.0.1, port: ${port}}\n`)], [
      systemNode,
      join(repoRoot, 'bin', 'lagpilot.js'),
    ]);
    running.push(daemon);
    await daemon.waitForHealthy(port);
    const finished = await daemon.stop('SIGTERM');
    expect(finished.code, daemon.describe()).to.equal(0);
    expect(daemon.logLines().at(-1)).to.include({ message: 'shutdown complete' });
    const stillListening = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false);
    expect(stillListening, 'lagpilot still answers after its wrapper exited').to.equal(false);
  });

  it('refuses an invalid config with exit code 2 and one line per problem, in run and validate-config', async function () {
    const invalid = writeConfig('invalid.yaml', `
clusters:
  - name: local
    bootstrap: ["127.0.0.1:9092"]
targets:
  - name: orders
    cluster: elsewhere
    consumerGroup: orders-consumers
    topics: [orders]
    replicas: {min: 5, max: 3}
    lag: {targetSeconds: 10}
    actuator: {kind: dryRun}
    colour: blue
`);
    // Every problem at once, the rules between fields included, so one edit fixes the file.
    const expectedLines = [
      'targets[0].colour: unknown key',
      'targets[0].replicas: min (5) must not exceed max (3)',
      'targets[0].cluster: "elsewhere" is not a cluster in clusters (defined: local)',
    ];
    for (const command of [['validate-config', invalid], ['run', '--config', invalid]]) {
      const result = await new DaemonProcess(command).finished;
      expect(result.code, `${command.join(' ')}\n${result.stderr}`).to.equal(2);
      expect(result.stderr.trimEnd().split('\n')).to.deep.equal(expectedLines);
      expect(result.stdout).to.equal('');
    }
  });

  it('validate-config accepts a valid file with exit code 0 and a summary', async function () {
    const result = await new DaemonProcess(['validate-config', join(repoRoot, 'config', 'example.yaml')]).finished;
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.split('\n')[0]).to.match(/^.*config\/example\.yaml: OK \(1 cluster\(s\), 1 target\(s\), redis, prometheus, server 0\.0\.0\.0:8080\)$/);
  });
});
