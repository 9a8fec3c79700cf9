// Runs Kafka's own console consumer (from org.apache.kafka:kafka-tools) as a group member, so the
// benchmark and the tests see groups made by the reference client, not by the client under test.
// With groupProtocol "consumer" the group is a KIP-848 group (ConsumerGroupHeartbeat), which
// only a client that speaks ConsumerGroupDescribe can describe fully.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface ConsoleConsumerOptions {
  java: string;
  /** Folder of kafka-tools and its dependencies (classpath `${toolsLibDir}/*`). */
  toolsLibDir: string;
  bootstrap: string;
  topic: string;
  groupId: string;
  groupProtocol: 'classic' | 'consumer';
  /** The consumer exits by itself after this long without a record; a leak ends on its own. */
  idleTimeoutMs?: number;
}

export interface RunningConsoleConsumer {
  readonly pid: number;
  /** What the consumer printed so far (records, one per line, and its errors). */
  output(): string;
  /** Stops the consumer (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const consoleConsumerClass = 'org.apache.kafka.tools.consumer.ConsoleConsumer';

export function startConsoleConsumer(options: ConsoleConsumerOptions): RunningConsoleConsumer {
  const args = [
    '-Xmx128m',
    '-cp',
    `${options.toolsLibDir}/*`,
    consoleConsumerClass,
    '--bootstrap-server',
    options.bootstrap,
    '--topic',
    options.topic,
    '--group',
    options.groupId,
    '--from-beginning',
    '--timeout-ms',
    String(options.idleTimeoutMs ?? 120_000),
    '--consumer-property',
    `group.protocol=${options.groupProtocol}`,
  ];
  const child: ChildProcess = spawn(options.java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start Kafka's console consumer with ${options.java}`);
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  return {
    pid,
    output: () => printed,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killTimer);
    },
  };
}

/** Polls until the check returns a value (not undefined), or fails after the deadline with what was last seen. */
export async function waitFor<Result>(what: string, check: () => Promise<Result | undefined>, timeoutMs: number, describeLast: () => string = () => ''): Promise<Result> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const lastErrorText = lastError instanceof Error ? ` last error: ${lastError.message}.` : '';
  throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}.${lastErrorText} ${describeLast()}`.trim());
}
