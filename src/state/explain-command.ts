// `lagpilot explain --config FILE --target NAME`: the last decisions for a target with their
// reasons, read from the decision journal in Redis.
import type { Command } from 'commander';
import { loadConfigFile } from '../config/loader.ts';
import { explainTarget } from './explain.ts';
import { RedisStateStore } from './redis-store.ts';

interface ExplainOptions {
  config: string;
  target: string;
  count: string;
  json?: boolean;
}

export async function runExplain(options: ExplainOptions, write: (text: string) => void): Promise<void> {
  const count = Number(options.count);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a whole number >= 1, got "${options.count}"`);
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) throw new Error(`${options.config} is not a valid config:\n  ${loaded.problems.join('\n  ')}`);
  const { config } = loaded;
  if (!config.targets.some((target) => target.name === options.target)) {
    throw new Error(`${options.config} has no target "${options.target}" (it has: ${config.targets.map((target) => target.name).join(', ')})`);
  }
  if (config.redis === undefined) {
    throw new Error(`${options.config} has no redis section: without Redis the journal lives only in the running daemon's memory`);
  }
  // Imported here, not at the top: every lagpilot command registers this one, and only it needs Redis.
  // Through `default` (module.exports): in the esbuild bundle a dynamic import of this CommonJS
  // package yields only `default`, where Node also gives named exports; module.exports has Redis.
  const { Redis } = (await import('ioredis')).default;
  const client = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${config.redis.url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const store = new RedisStateStore(client, { keyPrefix: config.redis.keyPrefix, ownsClient: true });
  try {
    if (options.json === true) {
      const decisions = (await store.recentDecisions(options.target, count)).reverse();
      for (const decision of decisions) write(`${JSON.stringify(decision)}\n`);
    } else {
      write(`${await explainTarget(store, options.target, count)}\n`);
    }
  } finally {
    await store.close();
  }
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description("print a target's last decisions with their reasons, from the decision journal")
    .requiredOption('-c, --config <file>', 'YAML config file (its redis section says where the journal is)')
    .requiredOption('--target <name>', 'the target whose decisions to print')
    .option('--count <n>', 'how many decisions', '10')
    .option('--json', 'one JSON object per decision, oldest first')
    .action(async (options: ExplainOptions) => {
      try {
        await runExplain(options, (text) => process.stdout.write(text));
      } catch (error) {
        process.stderr.write(`explain: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
