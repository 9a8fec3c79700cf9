import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { silentLogger } from '../logging/logger.ts';
import { reason, type Decision } from '../policies/types.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import { AlertmanagerWebhook } from './alertmanager-webhook.ts';
import { startHttpServer, type RunningHttpServer } from './http-server.ts';
import { createMetricsRegistry } from './metrics.ts';
import { ReadinessChecks } from './readiness.ts';


function decision(time: number, current: number, desired: number): Decision {
  return {
    time,
    current,
    desired,
    action: desired > current ? 'scaleUp' : desired < current ? 'scaleDown' : 'none',
    reasons: [reason('lag', 'LagAboveTarget', `lag needs ${desired} replicas`, { lagSeconds: time })],
    recommendations: [{ policy: 'lag', replicas: desired, dataComplete: true, reasons: [], evidence: { lagSeconds: time } }],
  };
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolveReply, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => { resolveReply({ status: response.statusCode ?? 0, body: text }); });
    });
    request.on('error', reject);
    request.end();
  });
}

async function startServer(withJournal: boolean, store: MemoryStateStore): Promise<RunningHttpServer> {
  const registry = createMetricsRegistry('9.9.9');
  return startHttpServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 4096,
    registry,
    readiness: new ReadinessChecks(),
    alertmanagerWebhook: new AlertmanagerWebhook(registry, silentLogger),
    ...(withJournal ? { decisions: { store, targets: ['orders', 'payments'] } } : {}),
    logger: silentLogger,
  });
}

describe('GET /api/decisions', () => {
  const store = new MemoryStateStore();
  let server: RunningHttpServer;

  before(async () => {
    for (let index = 1; index <= 30; index += 1) await store.appendDecision('orders', decision(1000 + index, index, index + 1));
    await store.appendDecision('payments', decision(5000, 4, 2));
    server = await startServer(true, store);
  });
  after(async () => { await server.close(1000); });

  it('answers the newest 20 decisions of the target, newest first', async () => {
    const reply = await get(server.port, '/api/decisions?target=orders');
    expect(reply.status).to.equal(200);
    const answer = JSON.parse(reply.body) as { target: string; configured: boolean; limit: number; decisions: Decision[] };
    expect(answer).to.include({ target: 'orders', configured: true, limit: 20 });
    expect(answer.decisions.map((entry) => entry.time)).to.deep.equal(Array.from({ length: 20 }, (_unused, index) => 1030 - index));
    expect(answer.decisions[0]).to.deep.equal(decision(1030, 30, 31));
  });

  it('honours limit', async () => {
    const answer = JSON.parse((await get(server.port, '/api/decisions?target=orders&limit=2')).body) as { decisions: Decision[] };
    expect(answer.decisions.map((entry) => entry.time)).to.deep.equal([1030, 1029]);
  });

  it('keeps targets apart', async () => {
    const answer = JSON.parse((await get(server.port, '/api/decisions?target=payments&limit=100')).body) as { decisions: Decision[] };
    expect(answer.decisions).to.deep.equal([decision(5000, 4, 2)]);
  });

  it('answers an empty list naming an unknown target', async () => {
    const reply = await get(server.port, '/api/decisions?target=ordres');
    expect(reply.status).to.equal(200);
    expect(JSON.parse(reply.body)).to.deep.equal({ target: 'ordres', configured: false, limit: 20, decisions: [] });
  });

  for (const badLimit of ['0', '-3', 'ten', '2.5', '1001', '']) {
    it(`refuses limit=${badLimit} with 400 naming the parameter`, async () => {
      const reply = await get(server.port, `/api/decisions?target=orders&limit=${badLimit}`);
      expect(reply.status).to.equal(400);
      expect(JSON.parse(reply.body)).to.deep.equal({ error: `the limit parameter must be a whole number from 1 to 1000, got ${JSON.stringify(badLimit)}` });
    });
  }

  it('refuses a request without target with 400 naming the parameter', async () => {
    const reply = await get(server.port, '/api/decisions');
    expect(reply.status).to.equal(400);
    expect((JSON.parse(reply.body) as { error: string }).error).to.contain('the target parameter is missing');
  });

  it('allows only reading', async () => {
    expect((await get(server.port, '/api/decisions?target=orders', 'POST')).status).to.equal(405);
  });

  it('answers 503 naming the cause when the journal cannot be read', async () => {
    const unreadable = new MemoryStateStore();
    unreadable.recentDecisions = () => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    const failing = await startHttpServer({
      host: '127.0.0.1', port: 0, maxBodyBytes: 4096, registry: createMetricsRegistry('9.9.9'), readiness: new ReadinessChecks(),
      alertmanagerWebhook: new AlertmanagerWebhook(createMetricsRegistry('9.9.9'), silentLogger),
      decisions: { store: unreadable, targets: ['orders'] }, logger: silentLogger,
    });
    try {
      const reply = await get(failing.port, '/api/decisions?target=orders');
      expect(reply.status).to.equal(503);
      expect(JSON.parse(reply.body)).to.deep.equal({
        error: "the decision journal could not be read: Stream isn't writeable and enableOfflineQueue options is false",
      });
    } finally {
      await failing.close(1000);
    }
  });

  it('answers 503 in a process without a journal', async () => {
    const bare = await startServer(false, store);
    try {
      const reply = await get(bare.port, '/api/decisions?target=orders');
      expect(reply.status).to.equal(503);
      expect(JSON.parse(reply.body)).to.deep.equal({ error: 'this process has no decision journal' });
    } finally {
      await bare.close(1000);
    }
  });
});
