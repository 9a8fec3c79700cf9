// `npm run local`: the README's first command. Starts (or reuses) the local Kafka and Redis,
// then runs `lagpilot run --config config/local.yaml` against them until Ctrl-C or SIGTERM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureService } from '../test/env/environment.ts';
import { repoRoot } from '../test/env/paths.ts';
import type { KafkaDetails } from '../test/env/services/kafka.ts';
import type { RedisDetails } from '../test/env/services/redis.ts';

console.error('starting the local environment (kafka, redis); the first run downloads Kafka...');
const kafka = await ensureService<KafkaDetails>('kafka');
const redis = await ensureService<RedisDetails>('redis');
console.error(`kafka at ${kafka.bootstrap}, redis at ${redis.url}`);

const child = spawn(process.execPath, [join(repoRoot, 'src', 'cli.ts'), 'run', '--config', join(repoRoot, 'config', 'local.yaml')], {
  stdio: 'inherit',
  cwd: repoRoot,
  env: {
    ...process.env,
    LAGPILOT_KAFKA_BOOTSTRAP: kafka.bootstrap,
    LAGPILOT_REDIS_URL: redis.url,
  },
});

// Ctrl-C reaches the whole process group, lagpilot included; SIGTERM sent to this script alone
// is passed on. Either way this script waits for lagpilot's graceful shutdown and its exit code.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (signal === 'SIGTERM') child.kill('SIGTERM');
  });
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal === null ? 1 : 128));
});
