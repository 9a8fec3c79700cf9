// Installs Apache Kafka for the local test environment from Maven Central: the broker
// (org.apache.kafka:kafka_2.13) and Kafka's command-line tools (org.apache.kafka:kafka-tools),
// each as the runtime closure of one dependency, copied by Maven's dependency plugin into a
// folder of jars under the cache, keyed by version. Java and Maven come from Debian when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, repoRoot } from '../paths.ts';
import { runToCompletion } from '../processes.ts';

/** The broker: the newest 4.x whose jars (and all their dependencies) Maven Central serves. */
export const kafkaVersion = '4.4.0';
/**
 * Kafka's tools. kafka-tools 4.4.0 is not served (Maven answers "Could not find artifact
 * org.apache.kafka:kafka-tools:jar:4.4.0"), so the tools are the newest served release. They
 * are clients of the broker and speak the same protocol versions; see
 * docs/decisions/0004-local-kafka.md.
 */
export const kafkaToolsVersion = '4.3.1';

/**
 * SLF4J 1.7 bindings for log4j2, matching the log4j-core each closure brings (kafka_2.13 4.4.0
 * brings 2.25.5, kafka-tools 4.3.1 brings 2.25.4); without one, Kafka's logging is dropped.
 */
const brokerLog4jVersion = '2.25.5';
const toolsLog4jVersion = '2.25.4';

const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';
const kafkaPomDir = join(repoRoot, 'test', 'env', 'kafka');

export interface KafkaInstallation {
  /** The java executable that runs the broker and the tools. */
  java: string;
  version: string;
  /** Folder of the broker's jars: the classpath is `${libDir}/*`. */
  libDir: string;
  toolsVersion: string;
  /** Folder of the tools' jars: the classpath is `${toolsLibDir}/*`. */
  toolsLibDir: string;
  /** log4j2 configuration for the broker (INFO to stdout). */
  log4jConfig: string;
  /** Class-data sharing archive of the broker's classes, when made (see class-archive.ts). */
  classArchive?: string;
}

/** log4j2 configuration of every node: INFO to stdout, which goes to the node's log file. */
export const kafkaLog4jConfig = join(kafkaPomDir, 'log4j2.properties');

/** log4j2 configuration of Kafka's tools: warnings to stderr, stdout left to the tool's output. */
export const kafkaToolsLog4jConfig = join(kafkaPomDir, 'tools-log4j2.properties');

export function kafkaLibDir(version = kafkaVersion): string {
  return join(cacheRoot, `kafka-${version}`, 'libs');
}

export function kafkaToolsLibDir(version = kafkaToolsVersion): string {
  return join(cacheRoot, `kafka-tools-${version}`, 'libs');
}

export function javaExecutable(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome !== undefined && javaHome !== '' ? join(javaHome, 'bin', 'java') : 'java';
}

/** The major version of a java executable (17 for "17.0.15"), or undefined if it does not run. */
function javaMajorVersion(java: string): number | undefined {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  // `java -version` writes e.g.: openjdk version "17.0.15" 2025-04-15 (to stderr).
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (match === null) return undefined;
  const major = Number(match[1]);
  // Java 8 and older report "1.8.0_…".
  return major === 1 ? Number(match[2]) : major;
}

function commandRuns(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.error === undefined && result.status === 0;
}

/** Kafka 4 brokers need Java 17 or newer. */
const minimumJavaMajor = 17;

async function ensureJavaAndMaven(): Promise<string> {
  const java = javaExecutable();
  const missingPackages: string[] = [];
  const javaMajor = javaMajorVersion(java);
  if (javaMajor === undefined || javaMajor < minimumJavaMajor) missingPackages.push('openjdk-17-jre-headless');
  if (!commandRuns('mvn', ['-v'])) missingPackages.push('maven');
  if (missingPackages.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new Error(
        `Kafka needs Java ${minimumJavaMajor}+ and Maven; missing: ${missingPackages.join(', ')} ` +
          `(found java: ${javaMajor === undefined ? 'none' : String(javaMajor)}). Install them with ` +
          `"apt-get install -y --no-install-recommends ${missingPackages.join(' ')}" or run as root.`,
      );
    }
    // Other services of the environment may run apt-get at the same time: wait for its lock.
    await runToCompletion('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { timeoutMs: 900_000 });
    await runToCompletion('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missingPackages], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 1_200_000,
    });
  }
  // apt-get installs /usr/bin/java, found on PATH; a JAVA_HOME pointing at an older JDK would
  // otherwise keep the broker from starting.
  const candidates = java === 'java' ? ['java'] : [java, 'java'];
  const installedJava = candidates.find((candidate) => (javaMajorVersion(candidate) ?? 0) >= minimumJavaMajor);
  if (installedJava === undefined) {
    const found = javaMajorVersion(java);
    throw new Error(
      `Kafka ${kafkaVersion} needs Java ${minimumJavaMajor}+, but "${java} -version" reports ` +
        (found === undefined ? 'nothing (not runnable)' : String(found)) +
        (process.env.JAVA_HOME === undefined ? '' : `; JAVA_HOME is ${process.env.JAVA_HOME}`),
    );
  }
  return installedJava;
}

/**
 * Copies the runtime closure of the dependency declared in `pomFile` into `targetDir`, unless
 * it is there already. Maven writes into a private temporary folder that is renamed into place
 * at the end, so a half-finished or concurrent install never leaves a half-filled folder behind.
 */
async function installJarFolder(options: {
  what: string;
  pomFile: string;
  versionProperty: string;
  version: string;
  log4jVersion: string;
  targetDir: string;
  /** Jars whose presence proves a complete install (a folder from an older POM may lack some). */
  expectedJars: string[];
}): Promise<void> {
  const complete = () => options.expectedJars.every((jar) => existsSync(join(options.targetDir, jar)));
  if (complete()) return;
  const versionDir = join(options.targetDir, '..');
  // A version folder without the expected jar is the remains of a broken install.
  rmSync(versionDir, { recursive: true, force: true });
  const stagingDir = `${versionDir}.installing-${process.pid}-${Date.now()}`;
  const stagingLibs = join(stagingDir, 'libs');
  const mavenLog = join(stagingDir, 'maven.log');
  mkdirSync(stagingDir, { recursive: true });
  try {
    let output: string;
    try {
      output = await runToCompletion(
        'mvn',
        [
          '-q', '-B',
          '-f', options.pomFile,
          dependencyPlugin,
          '-DincludeScope=runtime',
          `-DoutputDirectory=${stagingLibs}`,
          `-D${options.versionProperty}=${options.version}`,
          `-Dlog4j.version=${options.log4jVersion}`,
        ],
        { timeoutMs: 1_200_000 },
      );
    } catch (error) {
      throw new Error(
        `could not fetch ${options.what} ${options.version} from Maven Central ` +
          `(mvn dependency:copy-dependencies on ${options.pomFile}):\n${error instanceof Error ? error.message : String(error)}`,
      );
    }
    writeFileSync(mavenLog, output);
    const missing = options.expectedJars.filter((jar) => !existsSync(join(stagingLibs, jar)));
    if (missing.length > 0) {
      throw new Error(
        `Maven finished but ${missing.join(', ')} is not in ${stagingLibs}; it copied: ` +
          readdirSync(stagingLibs).join(', '),
      );
    }
    try {
      renameSync(stagingDir, versionDir);
    } catch (error) {
      // Another install of the same version finished first: its folder is as good as ours.
      if (!complete()) throw error;
    }
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

/** Installs what the kafka and kafka3 services need, if not cached yet. Idempotent. */
export async function installKafka(): Promise<KafkaInstallation> {
  const java = await ensureJavaAndMaven();
  mkdirSync(cacheRoot, { recursive: true });
  const libDir = kafkaLibDir();
  const toolsLibDir = kafkaToolsLibDir();
  await installJarFolder({
    what: 'the Kafka broker (org.apache.kafka:kafka_2.13)',
    pomFile: join(kafkaPomDir, 'broker-pom.xml'),
    versionProperty: 'kafka.version',
    version: kafkaVersion,
    targetDir: libDir,
    log4jVersion: brokerLog4jVersion,
    expectedJars: [`kafka_2.13-${kafkaVersion}.jar`, `log4j-slf4j-impl-${brokerLog4jVersion}.jar`],
  });
  await installJarFolder({
    what: "Kafka's tools (org.apache.kafka:kafka-tools)",
    pomFile: join(kafkaPomDir, 'tools-pom.xml'),
    versionProperty: 'kafka.tools.version',
    version: kafkaToolsVersion,
    targetDir: toolsLibDir,
    log4jVersion: toolsLog4jVersion,
    expectedJars: [`kafka-tools-${kafkaToolsVersion}.jar`, `log4j-slf4j-impl-${toolsLog4jVersion}.jar`],
  });
  return {
    java,
    version: kafkaVersion,
    libDir,
    toolsVersion: kafkaToolsVersion,
    toolsLibDir,
    log4jConfig: kafkaLog4jConfig,
  };
}
