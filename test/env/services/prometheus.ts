// Prometheus from Debian's `prometheus` package, run on loopback with a generated config.
// What it scrapes and where it sends alerts are not in the config itself but in file-based
// service discovery files beside it, so that tests can point Prometheus at a lagpilot they just
// started (setScrapeTargets) and the Alertmanager service can announce itself when it starts
// (setAlertmanagerTargets), all without restarting or even reloading Prometheus.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePackageBinaries } from '../apt.ts';
import { answersReady, loopbackService, requestReload, startedRecord, writeCheckedFile, type LoopbackServiceDetails } from '../loopback-service.ts';
import { serviceRunDir } from '../paths.ts';
import { freeLoopbackPort } from '../ports.ts';
import { runToCompletion, startDetached, waitUntilHealthy } from '../processes.ts';
import type { EnvService } from '../service.ts';

export interface PrometheusDetails extends LoopbackServiceDetails {
  /** http://127.0.0.1:PORT: the API (/api/v1/...), /-/ready and /-/reload. */
  url: string;
  configFile: string;
  /** file_sd files of the `lagpilot` scrape job, one per owner; written by setScrapeTargets(). */
  scrapeTargetsPattern: string;
  /** file_sd file of the Alertmanagers Prometheus notifies; rewrite with setAlertmanagerTargets(). */
  alertmanagerTargetsFile: string;
  /** Every *.yml here is a rule file; after adding one, call reloadPrometheus(). */
  rulesDir: string;
}

const serviceName = 'prometheus';
const host = '127.0.0.1';
const startTimeoutMs = 60_000;

/** The job label of lagpilot's targets: `up{job="lagpilot"}`. */
export const lagpilotJobName = 'lagpilot';

/**
 * How often Prometheus scrapes, evaluates rules and re-reads the discovery files. One second is
 * the smallest interval its config format accepts that still leaves room for a scrape timeout
 * (which must not exceed the interval); the discovery files are also watched with inotify, so
 * a change is usually seen at once.
 */
export const prometheusIntervalSeconds = 1;

const runDir = serviceRunDir(serviceName);
const discoveryDir = join(runDir, 'discovery');
// One file per owner (a test run, `npm run local`), so that runs sharing this Prometheus do not
// overwrite each other's targets.
const scrapeTargetsPattern = join(discoveryDir, 'lagpilot-targets-*.json');
const alertmanagerTargetsFile = join(discoveryDir, 'alertmanager-targets.json');
const rulesDir = join(runDir, 'rules');

async function binaries(): Promise<{ prometheus: string; promtool: string }> {
  const [prometheus, promtool] = await ensurePackageBinaries('prometheus', ['prometheus', 'promtool']);
  return { prometheus, promtool };
}

function prometheusConfig(): Record<string, unknown> {
  const interval = `${prometheusIntervalSeconds}s`;
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: [join(rulesDir, '*.yml')],
    alerting: {
      alertmanagers: [
        {
          api_version: 'v2',
          file_sd_configs: [{ files: [alertmanagerTargetsFile], refresh_interval: interval }],
        },
      ],
    },
    scrape_configs: [
      {
        job_name: lagpilotJobName,
        metrics_path: '/metrics',
        file_sd_configs: [{ files: [scrapeTargetsPattern], refresh_interval: interval }],
      },
    ],
  };
}

// Written to a temporary name outside the watched pattern, then renamed, so Prometheus never
// reads half a file.
function writeDiscoveryFile(file: string, targets: string[]): void {
  for (const target of targets) {
    if (!/^[^/\s]+:\d+$/.test(target)) {
      throw new Error(`discovery target "${target}" must be HOST:PORT (no scheme, no path), e.g. 127.0.0.1:9464`);
    }
  }
  mkdirSync(discoveryDir, { recursive: true });
  const temporary = join(discoveryDir, `.${basename(file)}.${process.pid}.tmp`);
  const groups = targets.length === 0 ? [] : [{ targets, labels: {} }];
  writeFileSync(temporary, `${JSON.stringify(groups, null, 2)}\n`);
  renameSync(temporary, file);
}

/**
 * Sets the HOST:PORT addresses of the `lagpilot` scrape job that belong to `owner` (an empty list
 * removes them); other owners' targets stay. Prometheus notices within about a second: wait for
 * the target through /api/v1/targets.
 */
export function setScrapeTargets(targets: string[], owner = 'default'): void {
  if (!/^[\w-]+$/.test(owner)) throw new Error(`scrape target owner "${owner}" may hold only letters, digits, _ and -`);
  const file = scrapeTargetsPattern.replace('*', owner);
  if (targets.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeDiscoveryFile(file, targets);
}

/** Tells Prometheus which Alertmanagers (HOST:PORT) to send its alerts to. */
export function setAlertmanagerTargets(targets: string[]): void {
  writeDiscoveryFile(alertmanagerTargetsFile, targets);
}

/** Makes Prometheus re-read its config and rule files; throws with its answer when it refuses. */
export async function reloadPrometheus(details: PrometheusDetails): Promise<void> {
  await requestReload(details.url, 'Prometheus refused to reload its config');
}

/**
 * Adds (or replaces) a rule file named NAME.yml in the rules directory, after promtool accepts
 * it, and reloads Prometheus so the rules are evaluated from the next cycle on.
 */
export async function writeRuleFile(details: PrometheusDetails, name: string, rulesYaml: string): Promise<string> {
  if (!/^[\w-]+$/.test(name)) throw new Error(`rule file name "${name}" may hold only letters, digits, _ and -`);
  mkdirSync(details.rulesDir, { recursive: true });
  const file = join(details.rulesDir, `${name}.yml`);
  // The candidate's name does not end in .yml, so the rule_files glob never picks it up.
  await writeCheckedFile(file, rulesYaml, async (candidate) => {
    const { promtool } = await binaries();
    await runToCompletion(promtool, ['check', 'rules', candidate], { timeoutMs: 30_000 });
  }, `rule file ${name}.yml is invalid`);
  await reloadPrometheus(details);
  return file;
}

export async function removeRuleFile(details: PrometheusDetails, name: string): Promise<void> {
  rmSync(join(details.rulesDir, `${name}.yml`), { force: true });
  await reloadPrometheus(details);
}

/** Starts a new instance with an empty data directory. */
async function startFresh(): Promise<PrometheusDetails> {
  const startMillisFrom = Date.now();
  const { prometheus, promtool } = await binaries();
  const dataDir = join(runDir, 'data');
  // A fresh environment starts with no series, no targets and no extra rules.
  for (const directory of [dataDir, discoveryDir, rulesDir]) {
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
  }
  // The Alertmanager may have started first; if so, it recorded where it listens.
  const { alertmanagerAddressIfRunning } = await import('./alertmanager.ts');
  const alertmanager = await alertmanagerAddressIfRunning();
  setAlertmanagerTargets(alertmanager === undefined ? [] : [alertmanager]);

  const configFile = join(runDir, 'prometheus.yml');
  writeFileSync(configFile, stringify(prometheusConfig()));
  await runToCompletion(promtool, ['check', 'config', configFile], { timeoutMs: 30_000 }).catch((error: unknown) => {
    throw new Error(`the generated Prometheus config ${configFile} is invalid: ${error instanceof Error ? error.message : String(error)}`);
  });

  const port = await freeLoopbackPort();
  const url = `http://${host}:${port}`;
  const logFile = join(runDir, 'prometheus.log');
  const started = startDetached({
    command: prometheus,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=${host}:${port}`,
      `--web.external-url=${url}`,
      '--web.enable-lifecycle',
      // A reload (writeRuleFile) rebuilds the notifier's Alertmanager list, which discovery
      // fills in again only after up to 5 s; an alert that fires in that window is dropped and,
      // by default, sent again only a minute later. Resending every interval bounds that delay.
      `--rules.alert.resend-delay=${prometheusIntervalSeconds}s`,
      '--storage.tsdb.retention.time=1d',
    ],
    logFile,
    cwd: runDir,
  });
  await waitUntilHealthy(`prometheus on ${host}:${port}`, () => answersReady(url), started, startTimeoutMs);
  return {
    ...startedRecord(started, runDir, startMillisFrom),
    host,
    port,
    url,
    configFile,
    dataDir,
    scrapeTargetsPattern,
    alertmanagerTargetsFile,
    rulesDir,
    logFile,
  };
}

export const service: EnvService<PrometheusDetails> = loopbackService<PrometheusDetails>({
  name: serviceName,
  runDir,
  install: binaries,
  isHealthy: (details) => answersReady(details.url),
  startFresh,
});

