// kube-apiserver and etcd, built from the Go module proxy at pinned versions and run the way
// controller-runtime's envtest runs them: secure port on loopback, RBAC, a static token for an
// admin in system:masters, and service-account signing keys so that TokenRequest hands out real
// ServiceAccount tokens. There is no controller-manager: Deployments never get Pods, which is
// all lagpilot's actuators need (they read and patch /scale).
//
// No release binaries can be downloaded here, so install() builds them with `go build` from two
// small wrapper modules in test/env/kube/ (see docs/decisions/0003-kube-apiserver-from-source.md).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ensureDebianBinary, findExecutable } from '../apt.ts';
import { installOnce, isExecutable } from '../cache-install.ts';
import { cacheRoot, repoRoot, serviceRunDir } from '../paths.ts';
import { freeLoopbackPorts } from '../ports.ts';
import { runToCompletion, startDetached, stopProcess, waitUntilHealthy, type StartedProcess } from '../processes.ts';
import type { EnvService, ServiceRecord } from '../service.ts';

export const kubernetesVersion = '1.36.3';
export const etcdVersion = '3.6.16';

export interface KubeDetails extends ServiceRecord {
  /** https://127.0.0.1:PORT */
  serverUrl: string;
  /** Bearer token of `lagpilot-admin`, a member of system:masters (allowed everything). */
  adminToken: string;
  adminUser: string;
  /** The apiserver's self-signed serving certificate (with its signing CA): trust this file. */
  caFile: string;
  /** A kubeconfig for the admin user, usable by kubectl and @kubernetes/client-node. */
  kubeconfig: string;
  /** http://127.0.0.1:PORT, etcd's client URL (plain HTTP: loopback only). */
  etcdUrl: string;
  apiserverPid: number;
  etcdPid: number;
  apiserverLogFile: string;
  etcdLogFile: string;
}

const serviceName = 'kube';
const host = '127.0.0.1';
const adminUser = 'lagpilot-admin';
const etcdStartTimeoutMs = 30_000;
// A cold apiserver start creates every built-in object (RBAC roles, priority levels, the default
// namespaces) in etcd first; on two cores that takes several seconds.
const apiserverStartTimeoutMs = 90_000;
// Measured cold: about 4 minutes for both on two cores with warm module downloads. The limit is
// generous because a first build also downloads ~400 modules.
const buildTimeoutMs = 45 * 60_000;

const installDir = join(cacheRoot, `kube-${kubernetesVersion}-etcd-${etcdVersion}`);
const binDir = join(installDir, 'bin');
export const kubeApiserverBinary = join(binDir, 'kube-apiserver');
export const etcdBinary = join(binDir, 'etcd');
const wrapperModulesDir = join(repoRoot, 'test', 'env', 'kube');

interface GoBuild {
  binaryName: string;
  /** Folder of the wrapper module, under test/env/kube/. */
  wrapperModule: string;
  mainPackage: string;
  /** The requirement the wrapper's go.mod must pin, e.g. `k8s.io/kubernetes v1.36.3`. */
  pinnedModule: string;
  ldflags: string[];
}

// /version reports what component-base was linked with; without these it says v0.0.0, and
// client-go's copy is what the apiserver's own loopback client reports.
function versionLinkerFlags(): string[] {
  const [major = '', minor = ''] = kubernetesVersion.split('.');
  const flags: string[] = [];
  for (const packagePath of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${packagePath}.gitVersion=v${kubernetesVersion}`,
      `-X ${packagePath}.gitMajor=${major}`,
      `-X ${packagePath}.gitMinor=${minor}`,
      `-X ${packagePath}.gitTreeState=clean`,
    );
  }
  return flags;
}

const goBuilds: GoBuild[] = [
  {
    binaryName: 'kube-apiserver',
    wrapperModule: 'apiserver',
    mainPackage: 'k8s.io/kubernetes/cmd/kube-apiserver',
    pinnedModule: `k8s.io/kubernetes v${kubernetesVersion}`,
    ldflags: versionLinkerFlags(),
  },
  {
    binaryName: 'etcd',
    wrapperModule: 'etcd',
    mainPackage: 'go.etcd.io/etcd/server/v3',
    pinnedModule: `go.etcd.io/etcd/server/v3 v${etcdVersion}`,
    ldflags: [],
  },
];

/** The go command: from PATH, the official tarball's folder, or else Debian's golang-go. */
export async function goCommand(): Promise<string> {
  const onPath = findExecutable('go');
  if (onPath !== undefined) return onPath;
  // The official tarball's location, which a non-login PATH often lacks.
  const fromTarball = '/usr/local/go/bin/go';
  if (isExecutable(fromTarball)) return fromTarball;
  // Debian's Go may be older than the wrapper modules' `go 1.26.0`; with GOTOOLCHAIN=auto (set
  // for the build) it fetches the right toolchain from the Go module proxy itself.
  return ensureDebianBinary('go', 'golang-go');
}

function elapsedSeconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

// The cache folder is named after the versions above; a wrapper go.mod pinning something else
// would cache a binary under the wrong name.
function checkWrapperPins(): void {
  for (const build of goBuilds) {
    const goMod = join(wrapperModulesDir, build.wrapperModule, 'go.mod');
    const requirements = readFileSync(goMod, 'utf8').split('\n').map((line) => line.replace(/\/\/.*$/, '').trim());
    if (!requirements.includes(build.pinnedModule)) {
      throw new Error(`${goMod} does not require ${build.pinnedModule}; kube.ts and the wrapper module disagree on the version`);
    }
  }
}

async function buildBinary(go: string, build: GoBuild, outputDir: string): Promise<void> {
  const startedAt = Date.now();
  process.stderr.write(`kube: building ${build.binaryName} (${build.mainPackage}) ...\n`);
  const heartbeat = setInterval(() => {
    process.stderr.write(`kube: still building ${build.binaryName} (${elapsedSeconds(startedAt)})\n`);
  }, 60_000);
  try {
    await runToCompletion(
      go,
      ['build', '-trimpath', '-ldflags', ['-s', '-w', ...build.ldflags].join(' '), '-o', join(outputDir, build.binaryName), build.mainPackage],
      {
        cwd: join(wrapperModulesDir, build.wrapperModule),
        env: {
          ...process.env,
          // Static binaries, as upstream releases them; no C toolchain needed.
          CGO_ENABLED: '0',
          GOTOOLCHAIN: 'auto',
          GOFLAGS: '-mod=readonly -buildvcs=false',
        },
        timeoutMs: buildTimeoutMs,
      },
    );
  } catch (error) {
    throw new Error(
      `building ${build.binaryName} from ${join(wrapperModulesDir, build.wrapperModule)} failed: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  } finally {
    clearInterval(heartbeat);
  }
  process.stderr.write(`kube: built ${build.binaryName} in ${elapsedSeconds(startedAt)}\n`);
}

async function installBinaries(): Promise<void> {
  const installed = (): boolean => isExecutable(kubeApiserverBinary) && isExecutable(etcdBinary);
  if (installed()) return;
  checkWrapperPins();
  const go = await goCommand();
  process.stderr.write(
    `kube: building kube-apiserver v${kubernetesVersion} and etcd v${etcdVersion} from the Go module proxy ` +
      `into ${installDir} (once; about 4-15 minutes on two cores)\n`,
  );
  await installOnce(installDir, installed, async (stagingDir) => {
    mkdirSync(join(stagingDir, 'bin'), { recursive: true });
    for (const build of goBuilds) await buildBinary(go, build, join(stagingDir, 'bin'));
    writeFileSync(
      join(stagingDir, 'versions.json'),
      `${JSON.stringify({ kubernetes: kubernetesVersion, etcd: etcdVersion, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
  });
}

interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTPS GET against the apiserver, trusting only its own serving certificate. */
export async function getFromApiserver(details: Pick<KubeDetails, 'serverUrl' | 'adminToken' | 'caFile'>, path: string, timeoutMs = 2_000): Promise<HttpAnswer> {
  const ca = readFileSync(details.caFile);
  return new Promise((resolveAnswer, reject) => {
    const outgoing = request(
      new URL(path, details.serverUrl),
      { method: 'GET', ca, headers: { authorization: `Bearer ${details.adminToken}` }, timeout: timeoutMs },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => { body += chunk; });
        response.on('end', () => { resolveAnswer({ status: response.statusCode ?? 0, body }); });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => { outgoing.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)); });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function apiserverReady(details: Pick<KubeDetails, 'serverUrl' | 'adminToken' | 'caFile'>): Promise<boolean> {
  // The serving certificate appears in cert-dir only once the apiserver has generated it.
  if (!existsSync(details.caFile)) return false;
  const answer = await getFromApiserver(details, '/readyz');
  return answer.status === 200 && answer.body.trim() === 'ok';
}

async function etcdHealthy(etcdUrl: string): Promise<boolean> {
  const response = await fetch(new URL('/health', etcdUrl), { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) return false;
  const body = (await response.json()) as { health?: unknown };
  return body.health === 'true';
}

function startEtcd(runDir: string, clientPort: number, peerPort: number): { process: StartedProcess; etcdUrl: string } {
  const etcdUrl = `http://${host}:${clientPort}`;
  const peerUrl = `http://${host}:${peerPort}`;
  const memberName = 'lagpilot';
  const started = startDetached({
    command: etcdBinary,
    args: [
      `--name=${memberName}`,
      `--data-dir=${join(runDir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${memberName}=${peerUrl}`,
      // Test data is thrown away with the run folder; fsync per write would only slow it down.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    logFile: join(runDir, 'etcd.log'),
    cwd: runDir,
  });
  return { process: started, etcdUrl };
}

interface ApiserverFiles {
  certDir: string;
  caFile: string;
  tokenFile: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
}

function writeApiserverFiles(runDir: string, adminToken: string): ApiserverFiles {
  const certDir = join(runDir, 'certs');
  mkdirSync(certDir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const files: ApiserverFiles = {
    certDir,
    // kube-apiserver writes its self-signed serving certificate (leaf and the CA that signed it)
    // under this name when no --tls-cert-file is given.
    caFile: join(certDir, 'apiserver.crt'),
    tokenFile: join(runDir, 'tokens.csv'),
    serviceAccountPublicKey: join(runDir, 'service-account.pub'),
    serviceAccountPrivateKey: join(runDir, 'service-account.key'),
  };
  writeFileSync(files.serviceAccountPublicKey, publicKey);
  writeFileSync(files.serviceAccountPrivateKey, privateKey, { mode: 0o600 });
  writeFileSync(files.tokenFile, `${adminToken},${adminUser},${adminUser},"system:masters"\n`, { mode: 0o600 });
  return files;
}

function startApiserver(runDir: string, files: ApiserverFiles, etcdUrl: string, securePort: number): StartedProcess {
  const serverUrl = `https://${host}:${securePort}`;
  return startDetached({
    command: kubeApiserverBinary,
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${host}`,
      `--advertise-address=${host}`,
      `--secure-port=${securePort}`,
      `--cert-dir=${files.certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-issuer=${serverUrl}`,
      `--service-account-key-file=${files.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${files.serviceAccountPrivateKey}`,
      `--token-auth-file=${files.tokenFile}`,
      '--authorization-mode=RBAC',
      // Its admission would demand a token Secret for every Pod's ServiceAccount, which only the
      // absent controller-manager would create.
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      '--v=1',
    ],
    logFile: join(runDir, 'kube-apiserver.log'),
    cwd: runDir,
  });
}

function writeKubeconfig(path: string, serverUrl: string, caFile: string, adminToken: string): void {
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lagpilot-local', cluster: { server: serverUrl, 'certificate-authority': caFile } }],
    users: [{ name: adminUser, user: { token: adminToken } }],
    contexts: [{ name: 'lagpilot-local', context: { cluster: 'lagpilot-local', user: adminUser } }],
    'current-context': 'lagpilot-local',
  };
  writeFileSync(path, `${JSON.stringify(kubeconfig, null, 2)}\n`, { mode: 0o600 });
}

export const service: EnvService<KubeDetails> = {
  name: serviceName,

  async install(): Promise<void> {
    await installBinaries();
  },

  async start(): Promise<KubeDetails> {
    const startMillisFrom = Date.now();
    await installBinaries();
    const runDir = serviceRunDir(serviceName);
    // Every start is a fresh cluster: old etcd data would carry objects and keys of a run whose
    // signing key and tokens are gone.
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const [etcdClientPort, etcdPeerPort, securePort] = await freeLoopbackPorts(3);
    if (etcdClientPort === undefined || etcdPeerPort === undefined || securePort === undefined) {
      throw new Error('could not find three free loopback ports for etcd and kube-apiserver');
    }

    const etcd = startEtcd(runDir, etcdClientPort, etcdPeerPort);
    let apiserver: StartedProcess | undefined;
    try {
      await waitUntilHealthy(`etcd on ${etcd.etcdUrl}`, () => etcdHealthy(etcd.etcdUrl), etcd.process, etcdStartTimeoutMs);
      const adminToken = randomBytes(32).toString('hex');
      const files = writeApiserverFiles(runDir, adminToken);
      apiserver = startApiserver(runDir, files, etcd.etcdUrl, securePort);
      const serverUrl = `https://${host}:${securePort}`;
      const connection = { serverUrl, adminToken, caFile: files.caFile };
      await waitUntilHealthy(`kube-apiserver on ${serverUrl}`, () => apiserverReady(connection), apiserver, apiserverStartTimeoutMs);
      const kubeconfig = join(runDir, 'kubeconfig');
      writeKubeconfig(kubeconfig, serverUrl, files.caFile, adminToken);
      return {
        pids: [apiserver.pid, etcd.process.pid],
        runDir,
        startedAt: new Date().toISOString(),
        startMillis: Date.now() - startMillisFrom,
        serverUrl,
        adminToken,
        adminUser,
        caFile: files.caFile,
        kubeconfig,
        etcdUrl: etcd.etcdUrl,
        apiserverPid: apiserver.pid,
        etcdPid: etcd.process.pid,
        apiserverLogFile: apiserver.logFile,
        etcdLogFile: etcd.process.logFile,
      };
    } catch (error) {
      // A failed start leaves nothing running; the logs stay in the run folder.
      if (apiserver !== undefined) await stopProcess(apiserver.pid);
      await stopProcess(etcd.process.pid);
      throw error;
    }
  },

  async isHealthy(details: KubeDetails): Promise<boolean> {
    try {
      return await apiserverReady(details);
    } catch {
      return false;
    }
  },

  async stop(details: KubeDetails): Promise<void> {
    // The apiserver first: stopping etcd under it makes it log errors until it exits.
    await stopProcess(details.apiserverPid);
    await stopProcess(details.etcdPid);
    for (const pid of details.pids) await stopProcess(pid);
  },
};
