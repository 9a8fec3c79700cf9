// The daemon loads a heavy dependency only when its config uses it: the Kubernetes client only
// for a Kubernetes actuator or the Lease elector, ioredis only with a redis section. Each case
// starts and stops a real daemon in a fresh Node process whose module resolution is watched,
// because the test process itself has long loaded everything.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceDir = fileURLToPath(new URL('.', import.meta.url));
const kubeconfig = fileURLToPath(new URL('./actuators/testdata/kubeconfig.yaml', import.meta.url));

// Runs in the child: records the package of every module resolved from node_modules, starts the
// daemon from the config text in argv[2], stops it, and prints the packages as JSON.
const childScript = `
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
const packages = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url);
    if (match) packages.add(match[1]);
    return resolved;
  },
});
const sourceDir = process.argv[3];
const { parseConfigText } = await import(pathToFileURL(sourceDir + 'config/loader.ts').href);
const { startDaemon } = await import(pathToFileURL(sourceDir + 'daemon.ts').href);
const parsed = parseConfigText(process.argv[2], { sourceName: 'test', environment: {} });
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const quiet = { error() {}, warn() {}, info() {}, debug() {}, child() { return quiet; } };
const daemon = await startDaemon({ config: parsed.config, logger: quiet, version: 'test' });
await daemon.stop();
process.stdout.write(JSON.stringify([...packages].sort()));
`;

function packagesLoadedBy(configText: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'lagpilot-lazy-'));
  try {
    const script = join(dir, 'start-daemon.mjs');
    writeFileSync(script, childScript);
    const result = spawnSync(process.execPath, [script, configText, sourceDir], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`the daemon's process ended with ${String(result.status ?? result.signal)}:\n${result.stderr}`);
    return JSON.parse(result.stdout) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: main, bootstrap: ["127.0.0.1:9"]}]
shutdown: {deadline: 2s}
`;

describe('dependencies the daemon loads', function () {
  it('leaves out the Kubernetes client and ioredis when the config uses neither', function () {
    const loaded = packagesLoadedBy(`${base}
targets:
  - {name: orders, cluster: main, consumerGroup: g, topics: [t], replicas: {max: 2}, lag: {targetSeconds: 1}, actuator: {kind: dryRun}}
`);
    expect(loaded, 'what every daemon needs').to.include.members(['@platformatic/kafka', 'prom-client', 'winston']);
    expect(loaded).to.not.include('@kubernetes/client-node');
    expect(loaded).to.not.include('ioredis');
  });

  it('loads the Kubernetes client for a kubernetesScale actuator, and ioredis for a redis section', function () {
    const loaded = packagesLoadedBy(`${base}
redis: {url: "redis://127.0.0.1:9"}
targets:
  - name: orders
    cluster: main
    consumerGroup: g
    topics: [t]
    replicas: {max: 2}
    lag: {targetSeconds: 1}
    actuator: {kind: kubernetesScale, auth: {from: kubeconfig, path: "${kubeconfig}"}, workload: {kind: Deployment, name: orders-consumer}}
`);
    expect(loaded).to.include.members(['@kubernetes/client-node', 'ioredis']);
  });

  it('loads the Kubernetes client for the Lease elector', function () {
    const loaded = packagesLoadedBy(`${base}
leaderElection: {backend: kubernetes, kubeconfig: "${kubeconfig}", namespace: lagpilot}
targets:
  - {name: orders, cluster: main, consumerGroup: g, topics: [t], replicas: {max: 2}, lag: {targetSeconds: 1}, actuator: {kind: dryRun}}
`);
    expect(loaded).to.include('@kubernetes/client-node');
    expect(loaded).to.not.include('ioredis');
  });
});
