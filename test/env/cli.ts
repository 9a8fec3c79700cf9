// npm run env -- up [kafka|kafka3|redis|kube|prometheus|alertmanager|all]
// npm run env -- down [service...]
// npm run env -- status
import { envFile } from './paths.ts';
import { readEnvState } from './state.ts';
import { ensureService, expandServiceNames, knownServices, serviceStatus, stopService } from './environment.ts';

const usage = `usage: npm run env -- <up|down|status> [${knownServices.join('|')}|all]...`;

async function main(argv: string[]): Promise<number> {
  const [command, ...names] = argv;
  switch (command) {
    case 'up': {
      const wanted = expandServiceNames(names);
      let failed = 0;
      for (const name of wanted) {
        const startedAt = Date.now();
        try {
          const record = await ensureService(name);
          console.log(`${name}: up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s ${JSON.stringify(connectionSummary(record))}`);
        } catch (error) {
          failed += 1;
          console.error(`${name}: FAILED to start\n${error instanceof Error ? error.message : String(error)}`);
        }
      }
      console.log(`connection details: ${envFile}`);
      return failed === 0 ? 0 : 1;
    }
    case 'down': {
      const wanted = names.length === 0 || names.includes('all') ? Object.keys(readEnvState()) : names;
      for (const name of wanted) {
        const stopped = await stopService(name);
        console.log(`${name}: ${stopped ? 'stopped' : 'was not running'}`);
      }
      return 0;
    }
    case 'status': {
      for (const name of knownServices) {
        const status = await serviceStatus(name);
        const details = status.record === undefined ? '' : ` ${JSON.stringify(connectionSummary(status.record))}`;
        console.log(`${name}: ${status.state}${details}`);
      }
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

function connectionSummary(record: object): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (['pids', 'runDir', 'startedAt', 'startMillis'].includes(key)) continue;
    if (typeof value === 'string' || typeof value === 'number') summary[key] = value;
  }
  return summary;
}

process.exitCode = await main(process.argv.slice(2));
