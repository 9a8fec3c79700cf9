// Readiness of a Kafka cluster: one bootstrap broker answers an ApiVersions request. This is a
// stand-in until the Kafka admin port (src/kafka/) offers a metadata call; it is deliberately
// tiny, and it proves more than an open TCP port: the peer speaks Kafka and accepts requests
// (ApiVersions is the one request brokers take before authentication).
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ClusterConfig } from '../../config/schema.ts';
import type { ReadinessCheck } from '../readiness.ts';

const apiVersionsKey = 18;

export function kafkaClusterCheck(cluster: ClusterConfig, timeoutMillis?: number): ReadinessCheck {
  const check: ReadinessCheck = {
    name: `kafka:${cluster.name}`,
    check: async (signal) => {
      const failures: string[] = [];
      for (const address of cluster.bootstrap) {
        try {
          await askApiVersions(address, cluster, signal);
          return;
        } catch (error) {
          failures.push(`${address}: ${(error as Error).message}`);
          if (signal.aborted) break;
        }
      }
      throw new Error(`no bootstrap broker answered (${failures.join('; ')})`);
    },
  };
  if (timeoutMillis !== undefined) check.timeoutMillis = timeoutMillis;
  return check;
}

/** Splits "host:port" and "[v6]:port". */
export function splitHostPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(separator + 1)) };
}

/** Sends ApiVersions v0 and resolves when the broker answers it with error code 0. */
export async function askApiVersions(address: string, cluster: ClusterConfig, signal: AbortSignal): Promise<void> {
  const { host, port } = splitHostPort(address);
  const correlationId = 0x1a9 + Math.floor(Math.random() * 1000);
  const socket: Socket = cluster.ssl === undefined
    ? connectTcp({ host, port })
    : connectTls({
        host,
        port,
        servername: host,
        rejectUnauthorized: cluster.ssl.rejectUnauthorized,
        ...(cluster.ssl.caFile === undefined ? {} : { ca: readFileSync(cluster.ssl.caFile) }),
        ...(cluster.ssl.certFile === undefined ? {} : { cert: readFileSync(cluster.ssl.certFile) }),
        ...(cluster.ssl.keyFile === undefined ? {} : { key: readFileSync(cluster.ssl.keyFile) }),
      });
  try {
    await new Promise<void>((resolveAnswer, reject) => {
      const onAbort = (): void => { reject(new Error('aborted')); };
      signal.addEventListener('abort', onAbort, { once: true });
      let received = Buffer.alloc(0);
      socket.once(cluster.ssl === undefined ? 'connect' : 'secureConnect', () => {
        socket.write(apiVersionsRequest(correlationId, cluster.clientId));
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        // size (4) + correlation id (4) + error code (2) is all the answer needs.
        if (received.length < 10) return;
        signal.removeEventListener('abort', onAbort);
        const answeredId = received.readInt32BE(4);
        const errorCode = received.readInt16BE(8);
        if (answeredId !== correlationId) reject(new Error('the answer does not match the request (not a Kafka broker?)'));
        else if (errorCode !== 0) reject(new Error(`ApiVersions failed with Kafka error code ${errorCode}`));
        else resolveAnswer();
      });
      socket.once('error', (error) => { reject(error); });
      socket.once('close', () => { reject(new Error('the connection closed before an answer')); });
    });
  } finally {
    socket.destroy();
  }
}

function apiVersionsRequest(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length);
  body.writeInt16BE(apiVersionsKey, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(client.length, 8);
  client.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}
