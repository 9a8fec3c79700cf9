// `lagpilot run` through bin/lagpilot.js runs with the daemon's Node flags (a small young heap): the
// entry replaces itself with a Node started with them, keeping its pid, unless the flags were
// given already.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonNodeFlags } from '../../bin/daemon-node-flags.js';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { pollUntil } from './journal-helpers.ts';
import { sampleValue, startDaemon, type DaemonProcess } from './daemon-process.ts';

const binPath = join(repoRoot, 'bin', 'lagpilot.js');

function commandLineOf(pid: number): string[] {
  return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
}

describe('bin/lagpilot.js run: the daemon\'s Node flags', function () {
  let daemon: DaemonProcess | undefined;

  afterEach(async function () {
    const exit = await daemon?.stop();
    daemon = undefined;
    if (exit !== undefined) expect(exit, 'the daemon stops cleanly on SIGTERM').to.deep.equal({ code: 0, signal: null });
  });

  it('starts the daemon with them, in the process that was started (same pid)', async function () {
    daemon = await startDaemon({ entryArgs: [binPath] });
    const commandLine = commandLineOf(daemon.pid);
    expect(commandLine.slice(1, 1 + daemonNodeFlags.length)).to.deep.equal([...daemonNodeFlags]);
    expect(commandLine.slice(-4)).to.deep.equal([binPath, 'run', '--config', daemon.configFile]);
  });

  it('adds none of them when NODE_OPTIONS already sets them', async function () {
    // Another value for a flag that takes one; a switch given as it is.
    const given = daemonNodeFlags.map((flag) => (flag.includes('=') ? `${flag.split('=')[0] ?? flag}=4` : flag));
    daemon = await startDaemon({ entryArgs: [binPath], env: { ...process.env, NODE_OPTIONS: given.join(' ') } });
    expect(commandLineOf(daemon.pid)).to.deep.equal([process.execPath, binPath, 'run', '--config', daemon.configFile]);
  });

  describe('the heap release after evaluations (needs --expose-gc)', function () {
    /** A target ticking every second on the real Kafka (its group does not exist: the collection reports it and the tick ends). */
    async function tickingConfig(): Promise<Record<string, unknown>> {
      const kafka = await ensureService<KafkaDetails>('kafka');
      return {
        clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
        targets: [{ name: 'heap-release', cluster: 'local', consumerGroup: 'heap-release-consumers', topics: ['heap-release'], interval: '1s', tickTimeout: '1s', replicas: { min: 1, max: 2 }, lag: { targetMessagesPerReplica: 100 }, actuator: { kind: 'dryRun' } }],
        memory: { releaseQuietPeriod: '200ms', releaseMinInterval: '1s' },
      };
    }

    async function releases(running: DaemonProcess): Promise<number> {
      return sampleValue(await running.metrics(), 'lagpilot_heap_releases_total') ?? Number.NaN;
    }

    it('runs through bin/lagpilot.js, once per quiet spell and at most once per releaseMinInterval', async function () {
      this.timeout(60_000);
      daemon = await startDaemon({ entryArgs: [binPath], config: await tickingConfig() });
      const running = daemon;
      const startedAt = Date.now();
      const { value, accepted } = await pollUntil(() => releases(running), (count) => count >= 3, 20_000, 500);
      expect(accepted, `heap releases after 20 s: ${String(value)}`).to.equal(true);
      const metrics = await running.metrics();
      const seconds = (Date.now() - startedAt) / 1000;
      expect(sampleValue(metrics, 'lagpilot_heap_releases_total'), 'at most one per second').to.be.at.most(Math.ceil(seconds) + 1);
      expect(sampleValue(metrics, 'lagpilot_heap_release_duration_seconds_count')).to.equal(sampleValue(metrics, 'lagpilot_heap_releases_total'));
    });

    it('is off, and says so, when Node runs without --expose-gc', async function () {
      this.timeout(60_000);
      daemon = await startDaemon({ config: await tickingConfig() });
      const running = daemon;
      await running.waitForLogLine((line) => line.message === 'collection incomplete' && line.target === 'heap-release', 20_000, 'the first collection');
      await running.waitForLogLine((line) => String(line.message).startsWith('heap release off: Node was started without --expose-gc'), 5_000, 'the notice that the heap release is off');
      await new Promise((resolveWait) => setTimeout(resolveWait, 2_000));
      expect(await releases(running)).to.equal(0);
    });
  });

  it('are the flags the image\'s ENTRYPOINT starts Node with', function () {
    const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    if (entrypoint === undefined) throw new Error('deploy/Dockerfile has no exec-form ENTRYPOINT');
    expect(JSON.parse(entrypoint)).to.deep.equal(['node', ...daemonNodeFlags, 'dist/lagpilot.mjs']);
  });
});
