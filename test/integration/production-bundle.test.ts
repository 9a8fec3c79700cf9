// The container image without a container engine: deploy/Dockerfile is read, the bundle is built
// by `npm run build` (the Dockerfile's build stage), and its final stage is reproduced on this
// machine: a root folder holding only what the stage copies (the bundle, no node_modules), Node
// where the official image has it, the config at the path the CMD names. Its ENTRYPOINT and CMD
// run unchanged, with the stage's ENV, WORKDIR and user, in a mount namespace where the root is
// read-only and /tmp is a tmpfs (the pod's readOnlyRootFilesystem and emptyDir), with the
// ServiceAccount files where the kubelet puts them. /healthz and /readyz must answer, it must
// lead through a Lease, the HEALTHCHECK command must pass, and SIGTERM must end it with exit 0.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { sampleValue } from './daemon-process.ts';
import { adminKubeConfig, bindShippedServiceAccount, httpStatusOf, uniqueName } from './kube-helpers.ts';

const dockerfilePath = join(repoRoot, 'deploy', 'Dockerfile');
/** Where the official Node images install node, first on their PATH. */
const imageNodePath = '/usr/local/bin/node';
const imagePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Instruction {
  keyword: string;
  arguments: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The instructions of a Dockerfile: continuation lines joined, comments dropped, ARG defaults put into FROM. */
function parseDockerfile(text: string): Stage[] {
  const logicalLines: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.trimStart().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logicalLines.push(`${pending}${line}`.trim());
    pending = '';
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const match = /^(\S+)\s+(.*)$/s.exec(line);
    if (match === null) throw new Error(`Dockerfile line without arguments: ${line}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const rest = match[2] ?? '';
    if (keyword === 'FROM') {
      const [image = '', as, name] = rest.replace(/\$\{(\w+)\}/g, (_, variable: string) => globalArgs.get(variable) ?? '').split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current === undefined) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
      const [variable = '', value = ''] = rest.split('=', 2);
      globalArgs.set(variable, value);
      continue;
    }
    current.instructions.push({ keyword, arguments: rest });
  }
  return stages;
}

function execForm(instruction: Instruction | undefined, what: string): string[] {
  if (instruction === undefined) throw new Error(`the final stage has no ${what}`);
  const json = instruction.arguments.replace(/^(?:--\S+\s+)*CMD\s+/, '');
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`${what} is not in exec (JSON array) form: ${instruction.arguments}`);
  return parsed;
}

function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}

/** KEY=VALUE pairs of every ENV of a stage (values without spaces or quotes, as lagpilot's are). */
function environmentOf(stage: Stage): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((candidate) => candidate.keyword === 'ENV')) {
    for (const pair of instruction.arguments.split(/\s+/)) {
      const separator = pair.indexOf('=');
      if (separator <= 0) throw new Error(`ENV in a form this test does not read: ${instruction.arguments}`);
      environment[pair.slice(0, separator)] = pair.slice(separator + 1);
    }
  }
  return environment;
}

/** The shared libraries a binary loads (ldd), to be placed at the same paths in the new root. */
function sharedLibraries(binary: string): string[] {
  return execFileSync('ldd', [binary], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

// Runs in a new mount namespace, as root, then drops to the image's user inside the new root.
const containerScript = `set -e
root=$1; uid=$2; gid=$3; workdir=$4; shift 4
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o size=64m,mode=1777 tmpfs "$root/tmp"
mount -o remount,bind,ro "$root"
exec unshare --root="$root" --wd="$workdir" --setgid "$gid" --setuid "$uid" -- "$@"`;

describe('container image (deploy/Dockerfile) run without a container engine', function () {
  const stages = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
  const buildStage = stages[0];
  const finalStage = stages.at(-1);
  let workDir: string | undefined;
  let rootfs: string;
  let workdirInImage: string;
  let uid: string;
  let gid: string;
  let entrypoint: string[];
  let command: string[];
  let healthcheck: string[];
  let imageEnvironment: Record<string, string>;

  function inContainer(argv: string[], environment: Record<string, string> = {}): ChildProcess {
    return spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', containerScript, 'container', rootfs, uid, gid, workdirInImage, ...argv], {
      env: { PATH: imagePath, ...imageEnvironment, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  function runToExit(argv: string[], environment: Record<string, string> = {}): { status: number | null; output: string } {
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', containerScript, 'container', rootfs, uid, gid, workdirInImage, ...argv], {
      env: { PATH: imagePath, ...imageEnvironment, ...environment },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.error !== undefined) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  before(function () {
    this.timeout(180_000);
    if (buildStage === undefined || finalStage === undefined || stages.length < 2) throw new Error(`${dockerfilePath}: expected a build stage and a final stage, found ${stages.length} stage(s)`);
    const buildWorkdir = lastOf(buildStage, 'WORKDIR')?.arguments ?? '/';
    const buildRuns = buildStage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.arguments);
    expect(buildRuns, 'the build stage builds the bundle with the project\'s script').to.include('npm run build');

    workDir = mkdtempSync(join(tmpdir(), 'lagpilot-image-'));
    const buildOutput = join(workDir, 'build', 'dist');
    // `npm run build` as the build stage runs it; --outdir keeps the checkout's dist/ untouched.
    const built = spawnSync('npm', ['run', 'build', '--', '--outdir', buildOutput], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (built.status !== 0) throw new Error(`npm run build failed (${built.status ?? built.signal ?? 'unknown'}):\n${built.stdout}${built.stderr}`);

    rootfs = join(workDir, 'rootfs');
    workdirInImage = lastOf(finalStage, 'WORKDIR')?.arguments ?? '/';
    for (const folder of ['proc', 'dev', 'tmp', 'etc', workdirInImage.slice(1)]) mkdirSync(join(rootfs, folder), { recursive: true });
    // The final stage's COPY --from=build lines: the files the build stage wrote under its WORKDIR.
    for (const copy of finalStage.instructions.filter((instruction) => instruction.keyword === 'COPY')) {
      const parts = copy.arguments.split(/\s+/);
      if (parts[0] !== '--from=build') throw new Error(`the final stage copies from somewhere other than the build stage: COPY ${copy.arguments}`);
      const destination = posix.resolve(workdirInImage, parts.at(-1) ?? '');
      for (const source of parts.slice(1, -1)) {
        const prefix = posix.join(buildWorkdir, 'dist') + '/';
        if (!source.startsWith(prefix)) throw new Error(`COPY of ${source}: only the build's dist/ output is reproduced here`);
        const from = join(buildOutput, source.slice(prefix.length));
        if (!existsSync(from)) throw new Error(`COPY of ${source}: npm run build did not produce ${from}`);
        mkdirSync(join(rootfs, destination), { recursive: true });
        // A folder source copies what is in it, as docker does.
        if (statSync(from).isDirectory()) cpSync(from, join(rootfs, destination), { recursive: true });
        else copyFileSync(from, join(rootfs, destination, posix.basename(source)));
      }
    }
    const node = realpathSync(process.execPath);
    mkdirSync(join(rootfs, dirname(imageNodePath)), { recursive: true });
    copyFileSync(node, join(rootfs, imageNodePath));
    for (const library of sharedLibraries(node)) {
      mkdirSync(join(rootfs, dirname(library)), { recursive: true });
      copyFileSync(library, join(rootfs, library));
    }

    const user = lastOf(finalStage, 'USER')?.arguments ?? '';
    const numericUser = /^(\d+):(\d+)$/.exec(user);
    if (numericUser === null) throw new Error(`USER must be numeric uid:gid (runAsNonRoot can only verify those), not "${user}"`);
    [, uid = '', gid = ''] = numericUser;
    writeFileSync(join(rootfs, 'etc', 'passwd'), `root:x:0:0:root:/root:/bin/sh\nlagpilot:x:${uid}:${gid}::/nonexistent:/usr/sbin/nologin\n`);
    writeFileSync(join(rootfs, 'etc', 'group'), `root:x:0:\nlagpilot:x:${gid}:\n`);
    entrypoint = execForm(lastOf(finalStage, 'ENTRYPOINT'), 'ENTRYPOINT');
    command = execForm(lastOf(finalStage, 'CMD'), 'CMD');
    healthcheck = execForm(lastOf(finalStage, 'HEALTHCHECK'), 'HEALTHCHECK');
    imageEnvironment = environmentOf(finalStage);
  });

  after(function () {
    // The mounts lived in the containers' own namespaces and ended with them.
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  it('builds in two stages on one pinned Node 24 image and runs as a non-root numeric user', function () {
    expect(stages.map((stage) => stage.image)).to.deep.equal([buildStage?.image, buildStage?.image]);
    expect(buildStage?.image).to.match(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    expect(Number(uid)).to.be.above(0);
    expect(Number(gid)).to.be.above(0);
    expect(entrypoint.slice(0, 1)).to.deep.equal(['node']);
    expect(healthcheck.join(' ')).to.include('LAGPILOT_HEALTHCHECK_URL');
    expect(imageEnvironment.LAGPILOT_HEALTHCHECK_URL).to.match(/\/healthz$/);
  });

  it('the root is read-only for that user, and /tmp and nothing else of it is writable', function () {
    const probe = runToExit([
      'node',
      '-e',
      `const fs = require('node:fs');
       for (const path of ['${workdirInImage}/probe', '/etc/probe', '/tmp/probe']) {
         try { fs.writeFileSync(path, 'x'); console.log(path, 'written'); } catch (error) { console.log(path, error.code); }
       }
       console.log('uid', process.getuid(), 'cwd', process.cwd(), 'node_modules', fs.existsSync('node_modules'));`,
    ]);
    expect(probe.status, probe.output).to.equal(0);
    expect(probe.output.trim().split('\n')).to.deep.equal([
      `${workdirInImage}/probe EROFS`,
      '/etc/probe EROFS',
      '/tmp/probe written',
      `uid ${uid} cwd ${workdirInImage} node_modules false`,
    ]);
  });

  it('runs the image\'s ENTRYPOINT and CMD as in a pod (service-account files, Redis, a Lease): /healthz and /readyz answer, the HEALTHCHECK passes, SIGTERM exits 0', async function () {
    this.timeout(90_000);
    const [kafka, redis, kube] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<RedisDetails>('redis'), ensureService<KubeDetails>('kube')]);
    const port = await freeLoopbackPort();
    // What the kubelet mounts for the pod's ServiceAccount, here the shipped one in a fresh
    // namespace: the Lease (and with it the bundle's Kubernetes client chunk) works in-cluster.
    const namespace = uniqueName('lagpilot-image');
    const admin = adminKubeConfig(kube);
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const { token } = await bindShippedServiceAccount(kube, admin, namespace, {
      what: 'reading a Lease',
      check: async (client) => (await httpStatusOf(client.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'lagpilot', namespace }))) === 404,
    });
    const serviceAccountDir = join(rootfs, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    mkdirSync(serviceAccountDir, { recursive: true });
    writeFileSync(join(serviceAccountDir, 'token'), token);
    writeFileSync(join(serviceAccountDir, 'namespace'), namespace);
    copyFileSync(kube.caFile, join(serviceAccountDir, 'ca.crt'));
    const apiserver = new URL(kube.serverUrl);
    const podEnvironment = { KUBERNETES_SERVICE_HOST: apiserver.hostname, KUBERNETES_SERVICE_PORT: apiserver.port };
    const keyPrefix = `lagpilot-image-test:${namespace}:`;
    const identity = 'image-check-0';
    const configIndex = command.indexOf('--config');
    const configPath = command[configIndex + 1];
    if (configIndex < 0 || configPath === undefined) throw new Error(`the CMD names no --config file: ${JSON.stringify(command)}`);
    mkdirSync(join(rootfs, posix.dirname(configPath)), { recursive: true });
    writeFileSync(
      join(rootfs, configPath),
      stringify({
        server: { host: '127.0.0.1', port },
        clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
        targets: [{
          name: 'image-check', cluster: 'local', consumerGroup: 'image-check-consumers', topics: ['image-check'],
          interval: '10s', replicas: { min: 1, max: 2 }, lag: { targetMessagesPerReplica: 100 }, actuator: { kind: 'dryRun' },
        }],
        redis: { url: redis.url, keyPrefix },
        leaderElection: { backend: 'kubernetes', identity, leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '500ms' },
        shutdown: { deadline: '5s' },
      }),
    );
    // As `docker run -e` would: the health URL follows the port the test config listens on.
    const healthUrl = `http://127.0.0.1:${port}/healthz`;
    const daemon = inContainer([...entrypoint, ...command], podEnvironment);
    let output = '';
    daemon.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    daemon.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
      daemon.on('exit', (code, signal) => { resolveExit({ code, signal }); });
    });
    // An object, so that the compiler does not take the flag for a constant inside the loop.
    const state = { exited: false };
    void exited.then(() => { state.exited = true; });
    try {
      const giveUpAt = Date.now() + 30_000;
      for (;;) {
        if (state.exited) throw new Error(`the image's command exited before /healthz answered:\n${output}`);
        const answer = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
        if (answer?.ok === true) break;
        if (Date.now() > giveUpAt) throw new Error(`no answer from ${healthUrl} within 30 s:\n${output}`);
        await sleep(100);
      }
      const readyGiveUpAt = Date.now() + 20_000;
      let readiness = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
      while (readiness.status !== 200 && Date.now() < readyGiveUpAt) {
        await sleep(250);
        readiness = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
      }
      expect(readiness.status, await readiness.clone().text()).to.equal(200);
      const report = (await readiness.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
      expect(report.ready).to.equal(true);
      expect(report.checks.filter((check) => check.ok).map((check) => check.name)).to.include.members(['kafka:local', 'redis']);

      const leaderGiveUpAt = Date.now() + 20_000;
      const leaderMetric = `lagpilot_leader{identity="${identity}"}`;
      for (;;) {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
        if (sampleValue(metrics, leaderMetric) === 1) break;
        if (Date.now() > leaderGiveUpAt) throw new Error(`${leaderMetric} did not become 1 within 20 s:\n${output}`);
        await sleep(200);
      }
      const lease = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'lagpilot', namespace });
      expect(lease.spec?.holderIdentity, 'the Lease in the namespace of the service-account files').to.equal(identity);

      const check = runToExit(healthcheck, { LAGPILOT_HEALTHCHECK_URL: healthUrl });
      expect(check.status, `HEALTHCHECK while serving: ${check.output}`).to.equal(0);
    } finally {
      if (!state.exited) daemon.kill('SIGTERM');
      const killTimer = setTimeout(() => { daemon.kill('SIGKILL'); }, 20_000);
      const exit = await exited;
      clearTimeout(killTimer);
      expect(exit, `how the image's command ended on SIGTERM:\n${output}`).to.deep.equal({ code: 0, signal: null });
    }
    // The same HEALTHCHECK reports the stopped daemon: the check above could fail.
    const afterStop = runToExit(healthcheck, { LAGPILOT_HEALTHCHECK_URL: healthUrl });
    expect(afterStop.status).to.equal(1);
    const released = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'lagpilot', namespace });
    expect(released.spec?.holderIdentity ?? '', 'the Lease is handed back on SIGTERM').to.equal('');
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
    await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  });
});
