// The production bundle (scripts/build.ts) runs on its own: built into a temporary folder,
// copied where no node_modules can be found above it, it answers --version, checks a config,
// and runs the daemon against the shared Kafka (which loads the Kafka client and its
// WebAssembly compression code, the part that reads a file beside itself when not bundled).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { bundleFileName, bundleOptions, buildBundle } from '../../scripts/build.ts';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { startDaemon } from './daemon-process.ts';

interface Completed {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Every node_modules folder Node's resolution would look in from `dir` upwards. */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) found.push(join(current, 'node_modules'));
    if (dirname(current) === current) return found;
  }
}

describe('production bundle (dist/lagpilot.mjs) without node_modules', function () {
  let buildDir: string;
  let runDir: string;
  let bundlePath: string;

  const runBundle = (args: string[]): Completed => {
    const result = spawnSync(process.execPath, [bundlePath, ...args], { cwd: runDir, encoding: 'utf8', timeout: 60_000 });
    if (result.error !== undefined) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  before(async function () {
    buildDir = mkdtempSync(join(tmpdir(), 'lagpilot-build-'));
    runDir = mkdtempSync(join(tmpdir(), 'lagpilot-bundle-run-'));
    const built = await buildBundle(join(buildDir, 'dist'));
    cpSync(dirname(built.bundlePath), join(runDir, 'dist'), { recursive: true });
    bundlePath = join(runDir, 'dist', bundleFileName);
    copyFileSync(join(repoRoot, 'config', 'example.yaml'), join(runDir, 'example.yaml'));
    const resolvable = nodeModulesAbove(runDir);
    if (resolvable.length > 0) throw new Error(`${runDir} is not isolated: Node would resolve packages from ${resolvable.join(', ')}`);
  });

  after(function () {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('is an entry file, its source map and chunks (each with a map) under chunks/', function () {
    expect(readdirSync(join(runDir, 'dist')).sort()).to.deep.equal(['chunks', bundleFileName, `${bundleFileName}.map`]);
    const chunks = readdirSync(join(runDir, 'dist', 'chunks'));
    expect(chunks.filter((name) => name.endsWith('.mjs')).map((name) => `${name}.map`)).to.have.members(chunks.filter((name) => name.endsWith('.map')));
  });

  it('prints the version of package.json', function () {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const result = runBundle(['--version']);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout.trim()).to.equal(version);
  });

  it('validates the example config (exit 0), and refuses a broken one with exit 2 naming the field', function () {
    const valid = runBundle(['validate-config', 'example.yaml']);
    expect(valid.status, valid.stderr).to.equal(0);
    expect(valid.stdout).to.match(/^example\.yaml: OK \(1 cluster\(s\), 1 target\(s\)/);

    writeFileSync(join(runDir, 'broken.yaml'), 'clusters: []\ntargets:\n  - name: t\n');
    const invalid = runBundle(['validate-config', 'broken.yaml']);
    expect(invalid.status).to.equal(2);
    expect(invalid.stderr).to.include('targets[0].cluster: is required');
  });

  it('runs the daemon against Kafka: ready, and serving its metrics', async function () {
    const kafka = await ensureService<KafkaDetails>('kafka');
    const daemon = await startDaemon({
      entryArgs: [bundlePath],
      cwd: runDir,
      config: {
        clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
        targets: [{
          name: 'bundle-check',
          cluster: 'local',
          consumerGroup: 'bundle-check-consumers',
          topics: ['bundle-check'],
          interval: '10s',
          replicas: { min: 1, max: 2 },
          lag: { targetMessagesPerReplica: 100 },
          actuator: { kind: 'dryRun' },
        }],
      },
    });
    try {
      const ready = await fetch(`${daemon.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      const readiness = (await ready.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
      expect(readiness.checks.find((check) => check.name === 'kafka:local')?.ok, JSON.stringify(readiness)).to.equal(true);
      expect(ready.status).to.equal(200);
      // The first tick collected through the Kafka client (the group does not exist: an
      // UNKNOWN_GROUP error in the result, not a crash).
      await daemon.waitForLogLine((line) => line.message === 'collection incomplete' && line.target === 'bundle-check', 20_000, 'the first collection of bundle-check');
      expect(await daemon.metrics()).to.match(/^lagpilot_build_info\{[^}]*version="/m);
    } finally {
      const exit = await daemon.stop();
      expect(exit, daemon.stderr()).to.deep.equal({ code: 0, signal: null });
    }
  });

  it('keeps the Kafka client\'s option checks, though they compile at their first use', async function () {
    // A bundle of the client alone, built the way the production bundle is. With `strict` the
    // client validates its options: a wrong one must still be refused with ajv's message, a
    // right one accepted, and a second wrong one refused too (its validator compiled by then).
    const probeDir = join(buildDir, 'kafka-options');
    await build({
      ...bundleOptions(probeDir),
      entryPoints: undefined,
      stdin: {
        resolveDir: repoRoot,
        loader: 'js',
        contents: `
          import { Admin } from '@platformatic/kafka';
          const attempt = (options) => {
            try { new Admin({ clientId: 'probe', bootstrapBrokers: ['127.0.0.1:9'], strict: true, ...options }).close(); return 'accepted'; }
            catch (error) { return error.message; }
          };
          console.log(JSON.stringify([attempt({ timeout: -1 }), attempt({ timeout: 1000 }), attempt({ retries: 'often' })]));
        `,
      },
    });
    const result = spawnSync(process.execPath, [join(probeDir, 'stdin.mjs')], { cwd: runDir, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).to.equal(0);
    const [negativeTimeout, valid, wordRetries] = JSON.parse(result.stdout) as string[];
    expect(negativeTimeout).to.equal('/options/timeout must be >= 0.');
    expect(valid).to.equal('accepted');
    expect(wordRetries).to.match(/^\/options\/retries must be number, \/options\/retries must be boolean/);
  });
});
