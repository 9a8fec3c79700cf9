// Alertmanager from Debian's `prometheus-alertmanager` package, run on loopback with a generated
// config whose receivers are lagpilot webhooks: a default one (setWebhookReceiver) and one per
// route that a test adds for the lagpilot it started (routeAlertsToWebhook). Both rewrite the
// config and reload it in place.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { substituteEnvironment } from '../../../src/config/env-substitution.ts';
import { ensurePackageBinaries } from '../apt.ts';
import { withDirectoryLock } from '../lock.ts';
import { answersReady, loopbackService, requestReload, startedRecord, writeCheckedFile, type LoopbackServiceDetails } from '../loopback-service.ts';
import { repoRoot, serviceRunDir } from '../paths.ts';
import { freeLoopbackPort } from '../ports.ts';
import { runToCompletion, startDetached, waitUntilHealthy } from '../processes.ts';
import { readEnvState, recordService } from '../state.ts';
import type { EnvService } from '../service.ts';
import { setAlertmanagerTargets } from './prometheus.ts';

export interface AlertmanagerDetails extends LoopbackServiceDetails {
  /** http://127.0.0.1:PORT: the API (/api/v2/alerts), /-/ready and /-/reload. */
  url: string;
  configFile: string;
  /** Where the `lagpilot` receiver posts its webhooks now. */
  webhookUrl: string;
}

const serviceName = 'alertmanager';
const host = '127.0.0.1';
const startTimeoutMs = 60_000;
/** The receiver every alert is routed to. */
export const lagpilotReceiverName = 'lagpilot';

const webhookPath = '/webhooks/alertmanager';
// lagpilot's own default port (server.port in src/config/schema/server.ts).
const lagpilotDefaultPort = 8080;

/**
 * Until a test points it elsewhere, the default receiver posts to the lagpilot that `npm run
 * local` starts: the `server.port` of config/local.yaml with `${VAR:-default}` substituted the
 * way lagpilot does it. LAGPILOT_WEBHOOK_URL overrides it.
 */
export async function defaultWebhookUrl(): Promise<string> {
  if (process.env.LAGPILOT_WEBHOOK_URL !== undefined) return process.env.LAGPILOT_WEBHOOK_URL;
  const localConfig = join(repoRoot, 'config', 'local.yaml');
  let port = lagpilotDefaultPort;
  if (existsSync(localConfig)) {
    // Only the port matters here; other references (the Kafka and Redis addresses `npm run
    // local` passes in) may be unset, and an invalid file is lagpilot's to report, not a reason
    // for the Alertmanager not to start.
    const lineCounter = new LineCounter();
    const document = parseDocument(await readFile(localConfig, 'utf8'), { lineCounter });
    substituteEnvironment(document, process.env, lineCounter);
    const configuredPort = document.getIn(['server', 'port']);
    // Port 0 is only known once lagpilot runs.
    if (typeof configuredPort === 'number' && Number.isInteger(configuredPort) && configuredPort > 0) port = configuredPort;
  }
  return `http://127.0.0.1:${port}${webhookPath}`;
}

/**
 * Grouping times for tests: a new alert is sent after one second instead of Alertmanager's 30 s,
 * a changed group (e.g. resolved) after one second instead of 5 min. Repeats of an unchanged
 * group are not wanted in tests, hence the long repeat interval.
 */
export const groupWaitSeconds = 1;
export const groupIntervalSeconds = 1;

const runDir = serviceRunDir(serviceName);
const configFile = join(runDir, 'alertmanager.yml');

async function binaries(): Promise<{ alertmanager: string; amtool: string }> {
  // Debian names the server binary prometheus-alertmanager; amtool comes in the same package.
  const [alertmanager, amtool] = await ensurePackageBinaries('prometheus-alertmanager', ['prometheus-alertmanager', 'amtool']);
  return { alertmanager, amtool };
}

/** The amtool binary, for tests that fire alerts the way an operator would. */
export async function amtoolBinary(): Promise<string> {
  return (await binaries()).amtool;
}

/**
 * Label that sends an alert to one run's route (see routeAlertsToWebhook). Alerts without it go
 * to the default `lagpilot` receiver.
 */
export const routeLabel = 'lagpilot_route';

const routesDir = join(runDir, 'routes');
const defaultReceiverFile = join(runDir, 'default-webhook-url');
const configLockDir = join(runDir, '.config.lock');

interface WebhookRoute {
  id: string;
  url: string;
  /** Sent as `Authorization: Bearer <token>` (http_config.authorization) when set. */
  bearerToken?: string;
}

function routeReceiverName(id: string): string {
  return `${lagpilotReceiverName}-${id}`;
}

function webhookConfig(url: string, bearerToken?: string): Record<string, unknown> {
  const config: Record<string, unknown> = { url, send_resolved: true, max_alerts: 0 };
  if (bearerToken !== undefined) config.http_config = { authorization: { type: 'Bearer', credentials: bearerToken } };
  return config;
}

function alertmanagerConfig(defaultUrl: string, routes: WebhookRoute[]): Record<string, unknown> {
  return {
    route: {
      receiver: lagpilotReceiverName,
      group_by: ['alertname'],
      group_wait: `${groupWaitSeconds}s`,
      group_interval: `${groupIntervalSeconds}s`,
      repeat_interval: '4h',
      routes: routes.map((route) => ({ receiver: routeReceiverName(route.id), matchers: [`${routeLabel}="${route.id}"`] })),
    },
    receivers: [
      { name: lagpilotReceiverName, webhook_configs: [webhookConfig(defaultUrl)] },
      ...routes.map((route) => ({ name: routeReceiverName(route.id), webhook_configs: [webhookConfig(route.url, route.bearerToken)] })),
    ],
  };
}

function checkWebhookUrl(webhookUrl: string): void {
  let parsed: URL;
  try {
    parsed = new URL(webhookUrl);
  } catch {
    throw new Error(`webhook URL "${webhookUrl}" is not a URL; expected e.g. http://127.0.0.1:PORT/webhooks/alertmanager`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`webhook URL "${webhookUrl}" must be http or https`);
  }
}

function readRoutes(): WebhookRoute[] {
  if (!existsSync(routesDir)) return [];
  return readdirSync(routesDir)
    .filter((file) => file.endsWith('.url'))
    .sort()
    .map((file) => {
      const id = file.slice(0, -'.url'.length);
      const tokenFile = join(routesDir, `${id}.token`);
      const route: WebhookRoute = { id, url: readFileSync(join(routesDir, file), 'utf8').trim() };
      if (existsSync(tokenFile)) route.bearerToken = readFileSync(tokenFile, 'utf8').trim();
      return route;
    });
}

/**
 * Several test runs in one checkout may change the config at once (each adds its own route);
 * the lock makes each read-routes, write-config, reload sequence whole.
 */
async function withConfigLock<T>(action: () => Promise<T>): Promise<T> {
  return withDirectoryLock(configLockDir, action);
}

/** Writes the config from the default URL and the routes, after amtool accepts it. */
async function writeConfig(): Promise<void> {
  const defaultUrl = existsSync(defaultReceiverFile) ? readFileSync(defaultReceiverFile, 'utf8').trim() : await defaultWebhookUrl();
  await writeCheckedFile(configFile, stringify(alertmanagerConfig(defaultUrl, readRoutes())), async (candidate) => {
    const { amtool } = await binaries();
    await runToCompletion(amtool, ['check-config', candidate], { timeoutMs: 30_000 });
  }, 'the generated Alertmanager config is invalid');
}

async function reload(details: AlertmanagerDetails): Promise<void> {
  await requestReload(details.url, `Alertmanager refused to reload ${configFile}`);
}

/**
 * Points the default `lagpilot` receiver (alerts without a route label) at a new URL: rewrites
 * the config, makes Alertmanager reload it and records the URL in the env file.
 */
export async function setWebhookReceiver(details: AlertmanagerDetails, webhookUrl: string): Promise<AlertmanagerDetails> {
  checkWebhookUrl(webhookUrl);
  await withConfigLock(async () => {
    writeFileSync(defaultReceiverFile, `${webhookUrl}\n`);
    await writeConfig();
    await reload(details);
  });
  const updated: AlertmanagerDetails = { ...details, webhookUrl };
  const recorded = readEnvState()[serviceName];
  if (recorded === undefined || recorded.port === details.port) recordService(serviceName, updated);
  return updated;
}

/**
 * Sends the alerts labelled `lagpilot_route=ID` to this URL, through a receiver of their own, so
 * a test can take its alerts to its own lagpilot while other runs share the Alertmanager.
 * With `bearerToken`, Alertmanager authenticates with it (http_config.authorization). Returns the
 * labels to put on the alerts.
 */
export async function routeAlertsToWebhook(
  details: AlertmanagerDetails,
  id: string,
  webhookUrl: string,
  options: { bearerToken?: string } = {},
): Promise<Record<string, string>> {
  if (!/^[\w-]+$/.test(id)) throw new Error(`route id "${id}" may hold only letters, digits, _ and -`);
  checkWebhookUrl(webhookUrl);
  await withConfigLock(async () => {
    mkdirSync(routesDir, { recursive: true });
    // The token file goes first: the config is written from the files present.
    if (options.bearerToken === undefined) rmSync(join(routesDir, `${id}.token`), { force: true });
    else writeFileSync(join(routesDir, `${id}.token`), `${options.bearerToken}\n`, { mode: 0o600 });
    writeFileSync(join(routesDir, `${id}.url`), `${webhookUrl}\n`);
    await writeConfig();
    await reload(details);
  });
  return { [routeLabel]: id };
}

export async function removeAlertRoute(details: AlertmanagerDetails, id: string): Promise<void> {
  await withConfigLock(async () => {
    rmSync(join(routesDir, `${id}.url`), { force: true });
    rmSync(join(routesDir, `${id}.token`), { force: true });
    await writeConfig();
    await reload(details);
  });
}

/** HOST:PORT of the recorded Alertmanager when it answers, for Prometheus' alerting config. */
export async function alertmanagerAddressIfRunning(): Promise<string | undefined> {
  const recorded = readEnvState()[serviceName];
  if (recorded === undefined) return undefined;
  const { url } = recorded;
  if (typeof url !== 'string' || !(await answersReady(url))) return undefined;
  return new URL(url).host;
}

/** Starts a new instance with an empty data directory. */
async function startFresh(): Promise<AlertmanagerDetails> {
  const startMillisFrom = Date.now();
  const { alertmanager } = await binaries();
  const dataDir = join(runDir, 'data');
  // A fresh environment starts with no silences and no notification log.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // Routes and receiver URLs of an earlier environment point at daemons long gone.
  rmSync(routesDir, { recursive: true, force: true });
  const webhookUrl = await defaultWebhookUrl();
  await withConfigLock(async () => {
    writeFileSync(defaultReceiverFile, `${webhookUrl}\n`);
    await writeConfig();
  });

  const port = await freeLoopbackPort();
  const url = `http://${host}:${port}`;
  const logFile = join(runDir, 'alertmanager.log');
  const started = startDetached({
    command: alertmanager,
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=${host}:${port}`,
      `--web.external-url=${url}`,
      // Empty: no gossip port, a single Alertmanager needs no cluster.
      '--cluster.listen-address=',
    ],
    logFile,
    cwd: runDir,
  });
  await waitUntilHealthy(`alertmanager on ${host}:${port}`, () => answersReady(url), started, startTimeoutMs);
  // Prometheus (if it runs) sends its alerts here from its next discovery refresh on.
  setAlertmanagerTargets([`${host}:${port}`]);
  return {
    ...startedRecord(started, runDir, startMillisFrom),
    host,
    port,
    url,
    configFile,
    dataDir,
    webhookUrl,
    logFile,
  };
}

export const service: EnvService<AlertmanagerDetails> = loopbackService<AlertmanagerDetails>({
  name: serviceName,
  runDir,
  install: binaries,
  isHealthy: (details) => answersReady(details.url),
  startFresh,
  // Prometheus would otherwise keep sending alerts to a port nobody listens on.
  afterStop: () => { setAlertmanagerTargets([]); },
});

