// The webhook actuator against a node:http receiver on loopback that verifies each signature
// the way a real receiver would: over the raw bytes it received.
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookActuatorSchema } from '../config/schema/actuators.ts';
import type { Decision } from '../policies/types.ts';
import { deliveryHeader, signatureHeader, signPayload, timestampHeader, verifySignature, WebhookActuator } from './webhook.ts';

const secret = 'a-shared-secret-for-tests';
const target = { name: 'orders' };

interface Received {
  body: string;
  timestamp: string;
  signature: string;
  delivery: string;
  signatureValid: boolean;
}

type Answer = (request: Received, response: ServerResponse) => void;

function decision(desired: number): Decision {
  return {
    time: 1_763_900_000,
    current: 2,
    desired,
    action: 'scaleUp',
    reasons: [{ code: 'LagAboveTarget', source: 'lag', message: 'lag over target', evidence: { lagSeconds: 31.5 } }],
    recommendations: [],
  };
}

function header(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

describe('webhook actuator', function () {
  let server: Server;
  let url: string;
  let received: Received[];
  let answers: Answer[];

  before(async function () {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const entry: Received = {
          body: raw.toString('utf8'),
          timestamp: header(request, timestampHeader),
          signature: header(request, signatureHeader),
          delivery: header(request, deliveryHeader),
          signatureValid: verifySignature(secret, header(request, timestampHeader), raw, header(request, signatureHeader)),
        };
        received.push(entry);
        const answer = answers.shift();
        if (answer !== undefined) {
          answer(entry, response);
          return;
        }
        response.writeHead(entry.signatureValid ? 200 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/decisions`;
  });

  beforeEach(function () {
    received = [];
    answers = [];
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });

  function webhook(options: Record<string, unknown> = {}): WebhookActuator {
    return new WebhookActuator(webhookActuatorSchema.parse({ kind: 'webhook', url, secret, retryBackoff: '20ms', timeout: '1s', ...options }));
  }

  it('POSTs the decision as JSON with a signature the receiver verifies, once', async function () {
    const actuator = webhook();
    const before = Math.floor(Date.now() / 1000);
    const result = await actuator.apply({ target, decision: decision(5) });
    expect(result, result.detail).to.include({ status: 'applied', code: 'Delivered', replicasAfter: 5 });
    expect(received).to.have.length(1);
    const [delivery] = received as [Received];
    expect(delivery.signatureValid).to.equal(true);
    expect(delivery.signature).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(Number(delivery.timestamp)).to.be.within(before, before + 5);
    expect(delivery.delivery).to.equal('orders:1763900000:5');
    expect(JSON.parse(delivery.body)).to.deep.equal({ target: 'orders', decision: decision(5) });
    expect((await actuator.current(target)).replicas).to.equal(5);

    const again = await actuator.apply({ target, decision: decision(5) });
    expect(again).to.include({ status: 'noop', code: 'AlreadyDelivered' });
    expect(received).to.have.length(1);
  });

  it('signs timestamp and body together: a changed byte or timestamp does not verify', function () {
    const body = JSON.stringify({ target: 'orders', decision: decision(3) });
    const signature = signPayload(secret, '1763900000', body);
    expect(verifySignature(secret, '1763900000', body, signature)).to.equal(true);
    expect(verifySignature(secret, '1763900001', body, signature)).to.equal(false);
    expect(verifySignature(secret, '1763900000', body.replace('"desired":3', '"desired":4'), signature)).to.equal(false);
    expect(verifySignature('another-secret-of-16', '1763900000', body, signature)).to.equal(false);
  });

  it('retries 5xx answers and takes the replicas the receiver reports', async function () {
    answers.push(
      (_request, response) => response.writeHead(503).end('warming up'),
      (_request, response) => response.writeHead(500).end(),
      (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"replicas":4}'),
    );
    const actuator = webhook({ retries: 3 });
    const result = await actuator.apply({ target, decision: decision(5) });
    expect(result, result.detail).to.include({ status: 'applied', replicasAfter: 4 });
    expect(result.detail).to.contain('after 2 failed attempts (answered 503: warming up; answered 500)');
    expect(received).to.have.length(3);
    expect(received.every((entry) => entry.signatureValid)).to.equal(true);
    expect(new Set(received.map((entry) => entry.delivery)).size, 'a retry is the same delivery').to.equal(1);
    expect((await actuator.current(target)).replicas).to.equal(4);
  });

  it('retries a receiver that does not answer in time, then fails with the reason', async function () {
    const hang: Answer = () => undefined;
    answers.push(hang, hang);
    const startedAt = Date.now();
    const result = await webhook({ retries: 1, timeout: '300ms' }).apply({ target, decision: decision(5) });
    expect(result).to.include({ status: 'failed', code: 'NotDelivered' });
    expect(result.detail).to.equal(`could not deliver decision orders:1763900000:5 to ${url} in 2 attempts: no answer within 300 ms; no answer within 300 ms`);
    expect(Date.now() - startedAt).to.be.at.least(600);
  });

  it('does not retry a refusal (4xx) and names it', async function () {
    const result = await webhook({ secret: 'not-the-receivers-secret' }).apply({ target, decision: decision(5) });
    expect(result).to.include({ status: 'failed', code: 'NotDelivered' });
    expect(result.detail).to.match(/in 1 attempts: answered 401$/);
    expect(received).to.have.length(1);
    expect(received[0]?.signatureValid).to.equal(false);
  });

  it('fails naming the refused connection when nothing listens', async function () {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
    const result = await webhook({ url: `http://127.0.0.1:${port}/`, retries: 1 }).apply({ target, decision: decision(5) });
    expect(result).to.include({ status: 'failed' });
    expect(result.detail).to.match(/in 2 attempts: request failed: fetch failed: .*ECONNREFUSED/);
  });

  it('dry run sends nothing', async function () {
    const result = await webhook({ dryRun: true }).apply({ target, decision: decision(5) });
    expect(result).to.include({ status: 'dryRun', code: 'WouldPost' });
    expect(received).to.have.length(0);
  });
});
