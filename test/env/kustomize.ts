// What the manifests under deploy/kubernetes/ need to be rendered and applied in tests:
// kustomize, built from the Go module proxy at a pinned version, and the prometheus-operator
// CRDs (ServiceMonitor, PrometheusRule), taken from that project's Go module at a pinned
// version. Both are cached under cacheRoot by version, like the kube-apiserver build.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from './paths.ts';
import { installOnce, isExecutable } from './cache-install.ts';
import { runToCompletion } from './processes.ts';
import { goCommand } from './services/kube.ts';

// 5.8.3 needs Go 1.27; 5.8.2 builds with the Go 1.26 this project uses for kube-apiserver.
export const kustomizeVersion = '5.8.2';
export const prometheusOperatorVersion = '0.89.0';

const kustomizeModule = 'sigs.k8s.io/kustomize/kustomize/v5';
const prometheusOperatorModule = 'github.com/prometheus-operator/prometheus-operator';
const crdFolderInModule = join('example', 'prometheus-operator-crd');

const kustomizeDir = join(cacheRoot, `kustomize-${kustomizeVersion}`);
export const kustomizeBinary = join(kustomizeDir, 'bin', 'kustomize');
const crdDir = join(cacheRoot, `prometheus-operator-crds-${prometheusOperatorVersion}`);

/** The CRD files lagpilot's manifests need, as the module names them. */
export const prometheusOperatorCrdFiles = ['monitoring.coreos.com_servicemonitors.yaml', 'monitoring.coreos.com_prometheusrules.yaml'] as const;

// Measured on two cores: 22 s with the modules of the kube-apiserver build already downloaded,
// 260 s (311 MB of memory) with empty Go module and build caches.
const goTimeoutMs = 15 * 60_000;

function goEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // GOFLAGS from the caller's shell (a -mod=vendor, say) would break an install outside a module.
  return { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'auto', GOFLAGS: '-buildvcs=false', ...extra };
}

/** The path of a kustomize binary of the pinned version, built on first use. */
export async function ensureKustomize(): Promise<string> {
  await installOnce(kustomizeDir, () => isExecutable(kustomizeBinary), async (stagingDir) => {
    const go = await goCommand();
    process.stderr.write(`kustomize: building ${kustomizeModule}@v${kustomizeVersion} into ${kustomizeDir} (once; 20 s to 5 min)\n`);
    try {
      await runToCompletion(go, ['install', '-trimpath', '-ldflags=-s -w', `${kustomizeModule}@v${kustomizeVersion}`], {
        cwd: tmpdir(),
        env: goEnvironment({ GOBIN: join(stagingDir, 'bin') }),
        timeoutMs: goTimeoutMs,
      });
    } catch (error) {
      throw new Error(`building kustomize v${kustomizeVersion} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const reported = await runToCompletion(join(stagingDir, 'bin', 'kustomize'), ['version']);
    if (reported.trim() !== `v${kustomizeVersion}`) {
      throw new Error(`the kustomize just built reports "${reported.trim()}", not v${kustomizeVersion}`);
    }
  });
  return kustomizeBinary;
}

interface ModuleDownload {
  Dir?: string;
  Sum?: string;
  Error?: string;
}

/**
 * Paths of the ServiceMonitor and PrometheusRule CRDs of the pinned prometheus-operator, copied
 * out of its module (which `go mod download` checks against the checksum database).
 */
export async function ensurePrometheusOperatorCrds(): Promise<string[]> {
  const paths = prometheusOperatorCrdFiles.map((file) => join(crdDir, file));
  await installOnce(crdDir, () => paths.every((path) => existsSync(path)), async (stagingDir) => {
    const go = await goCommand();
    const moduleVersion = `${prometheusOperatorModule}@v${prometheusOperatorVersion}`;
    let output: string;
    try {
      output = await runToCompletion(go, ['mod', 'download', '-json', moduleVersion], { cwd: tmpdir(), env: goEnvironment(), timeoutMs: goTimeoutMs });
    } catch (error) {
      throw new Error(`downloading ${moduleVersion} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // `go mod download` writes its progress to stderr, merged here; the JSON is the last object.
    const download = JSON.parse(output.slice(output.indexOf('{'))) as ModuleDownload;
    if (download.Error !== undefined || download.Dir === undefined) {
      throw new Error(`go mod download ${moduleVersion}: ${download.Error ?? 'no module folder reported'}`);
    }
    for (const file of prometheusOperatorCrdFiles) {
      const source = join(download.Dir, crdFolderInModule, file);
      if (!existsSync(source)) throw new Error(`${moduleVersion} has no ${join(crdFolderInModule, file)}`);
      copyFileSync(source, join(stagingDir, file));
    }
    writeFileSync(join(stagingDir, 'source.json'), `${JSON.stringify({ module: moduleVersion, sum: download.Sum }, null, 2)}\n`);
  });
  return paths;
}

/** `kustomize build DIR`: the rendered manifests as one multi-document YAML text. */
export async function renderKustomization(directory: string): Promise<string> {
  const kustomize = await ensureKustomize();
  return new Promise((resolveRender, reject) => {
    // stdout alone: kustomize writes warnings to stderr, which must not end up in the YAML.
    execFile(kustomize, ['build', directory], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolveRender(stdout);
        return;
      }
      reject(new Error(`kustomize build ${directory} failed: ${stderr.trim() || error.message}`));
    });
  });
}
