// A class-data sharing archive (JDK AppCDS) of the Kafka broker's classes. A broker JVM spends
// most of its start loading and verifying some 5,000 classes; mapped from an archive, they cost
// about 40% less CPU (5.8-6.2 s -> 3.6-3.8 s of CPU to "Kafka Server started", measured here),
// which matters when four JVMs of kafka3 start at once on two cores. The archive is made once
// per Kafka version and JVM build, by a broker started and stopped for that purpose, and kept in
// the cache beside the jars. It is an optimisation only: without it (or with a stale one, which
// the JVM refuses by itself under its default -Xshare:auto) brokers start as before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freeLoopbackPorts } from '../ports.ts';
import { stopProcess, waitUntilHealthy } from '../processes.ts';
import type { KafkaInstallation } from './install.ts';
import { brokerServes, formatNode, randomClusterId, startNodeProcess } from './nodes.ts';

/** The JVM build ("17.0.15+6-Debian-1deb12u1"): an archive only fits the build that made it. */
function javaBuild(java: string): string {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /\(build ([^)]+)\)/.exec(`${result.stderr}${result.stdout}`);
  if (match?.[1] === undefined) throw new Error(`could not read the build of ${java} from "java -version"`);
  return match[1].replace(/[^A-Za-z0-9._+-]/g, '_');
}

/**
 * A truncated archive (a JVM killed while writing it) crashes every JVM that maps it, with
 * SIGBUS, even under -Xshare:auto. So an archive is only kept once a JVM has mapped it with
 * the brokers' classpath under -Xshare:on, which refuses any archive it cannot use.
 */
function assertArchiveLoads(installation: KafkaInstallation, archive: string): void {
  const result = spawnSync(
    installation.java,
    ['-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-cp', join(installation.libDir, '*'), '-version'],
    { encoding: 'utf8' },
  );
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !output.includes('sharing')) {
    throw new Error(`the JVM cannot use the archive it wrote (exit ${String(result.status ?? result.signal)}):\n${output.split('\n').slice(0, 8).join('\n')}`);
  }
}

export function classArchivePath(installation: KafkaInstallation): string {
  return join(dirname(installation.libDir), 'class-archive', `${javaBuild(installation.java)}.jsa`);
}

/**
 * Returns the installation with its class archive, making the archive first if there is none:
 * a broker in a scratch folder runs until it serves, and the JVM writes the classes it loaded
 * when it exits (-XX:ArchiveClassesAtExit). If that fails the brokers run without an archive,
 * and the reason is printed.
 */
export async function withClassArchive(installation: KafkaInstallation): Promise<KafkaInstallation> {
  // LAGPILOT_KAFKA_CLASS_ARCHIVE=off: brokers without the archive (to compare, or to rule it out).
  if (process.env.LAGPILOT_KAFKA_CLASS_ARCHIVE === 'off') return installation;
  const archive = classArchivePath(installation);
  if (existsSync(archive)) return { ...installation, classArchive: archive };
  mkdirSync(dirname(archive), { recursive: true });
  const scratch = mkdtempSync(`${archive}.making-`);
  const temporaryArchive = join(scratch, 'classes.jsa');
  try {
    const [port, controllerPort] = await freeLoopbackPorts(2);
    if (port === undefined || controllerPort === undefined) throw new Error('no free loopback ports');
    const nodeDir = join(scratch, 'node');
    const clusterId = randomClusterId();
    await formatNode(installation, {
      nodeId: 1,
      role: 'combined',
      nodeDir,
      brokerPort: port,
      controllerPort,
      quorumVoters: `1@127.0.0.1:${controllerPort}`,
      settings: { 'offsets.topic.replication.factor': 1 },
    }, clusterId);
    const started = startNodeProcess(installation, nodeDir, undefined, [`-XX:ArchiveClassesAtExit=${temporaryArchive}`]);
    try {
      await waitUntilHealthy('Kafka broker making the class archive', () => brokerServes(`127.0.0.1:${port}`, clusterId, [1]), started, 120_000);
    } finally {
      // A clean exit (SIGTERM) is when the JVM writes the archive.
      await stopProcess(started.pid, 60_000);
    }
    if (!existsSync(temporaryArchive)) throw new Error(`the broker exited without writing ${temporaryArchive}`);
    assertArchiveLoads(installation, temporaryArchive);
    renameSync(temporaryArchive, archive);
    return { ...installation, classArchive: archive };
  } catch (error) {
    console.error(
      `Kafka brokers start without a class archive (slower, otherwise the same): could not make ${archive}: ` +
        (error instanceof Error ? error.message : String(error)),
    );
    return installation;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
