import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { freeLoopbackPort } from '../../../test/env/ports.ts';
import { kafkaClusterCheck, splitHostPort } from './kafka.ts';
import type { ClusterConfig } from '../../config/schema.ts';

function cluster(bootstrap: string[]): ClusterConfig {
  return { name: 'main', bootstrap, clientId: 'lagpilot-test' };
}

/** A listener that answers each request with `answer(request)`: enough to exercise the wire format. */
async function listen(answer: (request: Buffer) => Buffer | undefined): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    socket.on('data', (request: Buffer) => {
      const reply = answer(request);
      if (reply === undefined) socket.destroy();
      else socket.write(reply);
    });
  });
  await new Promise<void>((resolveListen) => { server.listen(0, '127.0.0.1', resolveListen); });
  const { port } = server.address() as { port: number };
  return { server, address: `127.0.0.1:${port}` };
}

function apiVersionsAnswer(request: Buffer, errorCode: number): Buffer {
  const answer = Buffer.alloc(14);
  answer.writeInt32BE(10, 0);
  answer.writeInt32BE(request.readInt32BE(8), 4);
  answer.writeInt16BE(errorCode, 8);
  answer.writeInt32BE(0, 10);
  return answer;
}

describe('Kafka readiness check', () => {
  it('sends a well-formed ApiVersions v0 request with the client id, and passes on error code 0', async () => {
    let seen: Buffer | undefined;
    const { server, address } = await listen((request) => { seen = request; return apiVersionsAnswer(request, 0); });
    try {
      await kafkaClusterCheck(cluster([address])).check(new AbortController().signal);
      expect(seen?.readInt32BE(0)).to.equal((seen?.length ?? 0) - 4);
      expect(seen?.readInt16BE(4)).to.equal(18);
      expect(seen?.readInt16BE(6)).to.equal(0);
      expect(seen?.subarray(14).toString()).to.equal('lagpilot-test');
    } finally {
      server.close();
    }
  });

  it('fails with the Kafka error code a broker answers', async () => {
    const { server, address } = await listen((request) => apiVersionsAnswer(request, 35));
    try {
      const failure = await kafkaClusterCheck(cluster([address])).check(new AbortController().signal).then(() => undefined, (error: unknown) => error);
      expect(String(failure)).to.include('ApiVersions failed with Kafka error code 35');
    } finally {
      server.close();
    }
  });

  it('tries every bootstrap broker and names each failure', async () => {
    const closedPort = await freeLoopbackPort();
    const { server, address } = await listen(() => undefined);
    try {
      const failure = await kafkaClusterCheck(cluster([`127.0.0.1:${closedPort}`, address])).check(new AbortController().signal).then(() => undefined, (error: unknown) => error);
      expect(String(failure)).to.equal(
        `Error: no bootstrap broker answered (127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}; ${address}: the connection closed before an answer)`,
      );
    } finally {
      server.close();
    }
  });

  it('splits host and port, IPv6 included', () => {
    expect(splitHostPort('127.0.0.1:9092')).to.deep.equal({ host: '127.0.0.1', port: 9092 });
    expect(splitHostPort('[::1]:9093')).to.deep.equal({ host: '::1', port: 9093 });
  });
});
