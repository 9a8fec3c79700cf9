// lagpilot's command line. Exit codes: 0 success, 1 a runtime failure, 2 an invalid config.
// `run` and `validate-config` import what they need when they run, so --help and --version
// answer without loading the Kafka, Redis and metrics libraries.
import { Command } from 'commander';
import type { LagpilotConfig } from './config/schema.ts';
import { registerLagCommand } from './collectors/lag-command.ts';
import { registerSimulateCommand } from './sim/simulate-command.ts';
import { registerExplainCommand } from './state/explain-command.ts';
import { registerImportKedaCommand } from './keda/import-command.ts';
import { formatDurationMillis } from './util/duration.ts';
import { lagpilotVersion } from './version.ts';

export const exitCodes = { ok: 0, failure: 1, invalidConfig: 2 } as const;

async function loadOrExit(path: string): Promise<LagpilotConfig> {
  const { loadConfigFile } = await import('./config/loader.ts');
  const result = await loadConfigFile(path);
  if (result.ok) return result.config;
  for (const problem of result.problems) process.stderr.write(`${problem}\n`);
  process.exit(exitCodes.invalidConfig);
}

function summary(path: string, config: LagpilotConfig): string {
  const parts = [
    `${config.clusters.length} cluster(s)`,
    `${config.targets.length} target(s)`,
    config.redis === undefined ? 'no redis' : 'redis',
    config.prometheus === undefined ? 'no prometheus' : 'prometheus',
    `server ${config.server.host}:${config.server.port}`,
  ];
  const targets = config.targets.map(
    (target) => `  target ${target.name}: group ${target.consumerGroup} on ${target.cluster}, every ${formatDurationMillis(target.interval)}, replicas ${target.replicas.min}..${target.replicas.max}, actuator ${target.actuator.kind}`,
  );
  return [`${path}: OK (${parts.join(', ')})`, ...targets].join('\n');
}

async function run(configPath: string): Promise<void> {
  // Signals are taken from the first moment: a SIGTERM that arrives while modules load or the
  // daemon starts (a pod deleted right after its creation) still gets a graceful stop, once
  // there is something to stop.
  let signalBeforeStart: NodeJS.Signals | undefined;
  let onSignal = (signal: NodeJS.Signals): void => { signalBeforeStart ??= signal; };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => { onSignal(signal); });
  }

  const config = await loadOrExit(configPath);
  const { createLogger, errorMessage } = await import('./logging/logger.ts');
  const { startDaemon } = await import('./daemon.ts');
  const logger = createLogger({ level: config.log.level });
  const mainLogger = logger.child({ component: 'main' });
  const exit = async (code: number): Promise<never> => {
    await logger.close();
    process.exit(code);
  };

  let daemon;
  try {
    daemon = await startDaemon({ config, logger, version: lagpilotVersion });
  } catch (error) {
    mainLogger.error('lagpilot could not start', { error: errorMessage(error) });
    return exit(exitCodes.failure);
  }
  const runningDaemon = daemon;

  let shuttingDown = false;
  const shutDown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) {
      mainLogger.warn('second signal during shutdown: exiting at once', { signal });
      await exit(exitCodes.failure);
    }
    shuttingDown = true;
    mainLogger.info('shutdown requested', { signal, deadline: formatDurationMillis(config.shutdown.deadline) });
    const result = await runningDaemon.stop();
    if (result.clean) {
      mainLogger.info('shutdown complete');
      await exit(exitCodes.ok);
    }
    mainLogger.error('shutdown incomplete', { problems: result.problems });
    await exit(exitCodes.failure);
  };
  onSignal = (signal) => { void shutDown(signal); };
  if (signalBeforeStart !== undefined) await shutDown(signalBeforeStart);
  // Ticks and requests catch their own errors; anything reaching here is a bug, and a daemon in
  // an unknown state should restart rather than keep scaling things.
  const fatal = (error: unknown): void => {
    mainLogger.error('unexpected error; exiting', { error: errorMessage(error) });
    void exit(exitCodes.failure);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

export function buildProgram(): Command {
  const program = new Command()
    .name('lagpilot')
    .description('Event-driven autoscaler for Kafka consumer groups')
    .version(lagpilotVersion, '-V, --version', 'print the version');
  program
    .command('run')
    .description('run the daemon: HTTP server (/healthz, /readyz, /metrics, webhooks) and the control loop')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action(async (options: { config: string }) => { await run(options.config); });
  program
    .command('validate-config')
    .description('check a config file: exit 0 if valid, 2 with one line per problem if not')
    .argument('<file>', 'YAML config file')
    .action(async (file: string) => {
      const config = await loadOrExit(file);
      process.stdout.write(`${summary(file, config)}\n`);
    });
  registerSimulateCommand(program);
  registerLagCommand(program);
  registerExplainCommand(program);
  registerImportKedaCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
