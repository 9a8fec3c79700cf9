// Measures the local Kafka of the test environment: the cold install (Maven downloads into an
// empty cache and an empty local Maven repository), warm starts of `kafka` and `kafka3`, and the
// resident memory of each JVM. Runs in its own folders under /tmp and on its own ports, so a
// running environment is not disturbed.
//
//   node test/env/kafka/measure.ts [--starts N] [--skip-cold]
//   LAGPILOT_KAFKA_CLASS_ARCHIVE=off node test/env/kafka/measure.ts --skip-cold   (no class archive)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { service as kafkaService, startSingleNodeKafka } from '../services/kafka.ts';
import { service as kafka3Service, startKafka3Cluster } from '../services/kafka3.ts';
import { withClassArchive } from './class-archive.ts';
import { installKafka } from './install.ts';

function residentMebibytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Math.round(Number(match[1]) / 1024);
}

const clockTicksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system) the process has used so far: on a busy machine a steadier measure than wall time. */
function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(afterName[11]) + Number(afterName[12])) / clockTicksPerSecond;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function seconds(millis: number): string {
  return `${(millis / 1000).toFixed(1)} s`;
}

/** The cold install runs in a child process: the cache folder is read when the module loads. */
function measureColdInstall(): void {
  const scratch = mkdtempSync(join(tmpdir(), 'lagpilot-kafka-cold-'));
  try {
    const env = {
      ...process.env,
      LAGPILOT_CACHE_DIR: join(scratch, 'cache'),
      MAVEN_OPTS: `${process.env.MAVEN_OPTS ?? ''} -Dmaven.repo.local=${join(scratch, 'm2')}`.trim(),
    };
    const startedAt = Date.now();
    const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--install-only'], { env, encoding: 'utf8' });
    const elapsed = Date.now() - startedAt;
    if (result.status !== 0) throw new Error(`cold install failed:\n${result.stdout}${result.stderr}`);
    const downloaded = spawnSync('du', ['-sm', join(scratch, 'm2'), join(scratch, 'cache')], { encoding: 'utf8' }).stdout.trim();
    console.log(`cold install (empty cache, empty Maven repository): ${seconds(elapsed)}\n${result.stdout.trimEnd()}\n${downloaded.replace(/^/gm, '  MiB ')}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function measureWarmStarts(starts: number): Promise<void> {
  await installKafka();
  const scratch = mkdtempSync(join(tmpdir(), 'lagpilot-kafka-warm-'));
  try {
    const single: number[] = [];
    for (let run = 0; run < starts; run += 1) {
      const details = await startSingleNodeKafka(join(scratch, 'kafka'));
      single.push(details.startMillis);
      const cpu = details.pids.map((pid) => cpuSeconds(pid).toFixed(1));
      // Memory after the start settles, idle.
      await sleep(5_000);
      const rss = details.pids.map(residentMebibytes);
      console.log(`kafka  start ${run + 1}: ${seconds(details.startMillis)}, CPU to serve ${cpu.join(', ')} s, RSS ${rss.join(', ')} MiB`);
      await kafkaService.stop(details);
    }
    const cluster: number[] = [];
    for (let run = 0; run < starts; run += 1) {
      const details = await startKafka3Cluster(join(scratch, 'kafka3'));
      cluster.push(details.startMillis);
      const nodes = [details.controller, ...details.brokers];
      const cpu = nodes.map((node) => (node.pid === null ? '-' : cpuSeconds(node.pid).toFixed(1)));
      await sleep(5_000);
      const rss = nodes.map(
        (node) => `${node.role} ${node.nodeId} ${node.pid === null ? '-' : residentMebibytes(node.pid)}`,
      );
      console.log(`kafka3 start ${run + 1}: ${seconds(details.startMillis)}, CPU to serve ${cpu.join(', ')} s, RSS MiB: ${rss.join(', ')}`);
      await kafka3Service.stop(details);
    }
    console.log(`median warm start: kafka ${seconds(median(single))}, kafka3 ${seconds(median(cluster))}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--install-only')) {
    const startedAt = Date.now();
    const installation = await installKafka();
    const jarsMillis = Date.now() - startedAt;
    await withClassArchive(installation);
    console.log(`  Maven (broker and tools jars) ${seconds(jarsMillis)}, class archive ${seconds(Date.now() - startedAt - jarsMillis)}`);
    return;
  }
  const startsIndex = argv.indexOf('--starts');
  const starts = startsIndex === -1 ? 3 : Number(argv[startsIndex + 1]);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  console.log(`class archive: ${process.env.LAGPILOT_KAFKA_CLASS_ARCHIVE === 'off' ? 'off' : 'on'}`);
  if (!argv.includes('--skip-cold')) measureColdInstall();
  await measureWarmStarts(starts);
}

await main(process.argv.slice(2));
