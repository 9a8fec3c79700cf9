import { expect } from 'chai';
import { silentLogger } from '../logging/logger.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import { AlertmanagerWebhook } from './alertmanager-webhook.ts';
import { startHttpServer, type RunningHttpServer } from './http-server.ts';
import { createMetricsRegistry } from './metrics.ts';
import { ReadinessChecks } from './readiness.ts';
import type { StatusSource } from './status-api.ts';
import { StatusHistory } from './status-history.ts';


async function startServer(status: StatusSource | undefined): Promise<RunningHttpServer> {
  const registry = createMetricsRegistry('9.9.9');
  return startHttpServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 4096,
    registry,
    readiness: new ReadinessChecks(),
    alertmanagerWebhook: new AlertmanagerWebhook(registry, silentLogger),
    ...(status === undefined ? {} : { status }),
    logger: silentLogger,
  });
}

describe('status routes', () => {
  let server: RunningHttpServer;
  let bare: RunningHttpServer;
  const url = (path: string, on: RunningHttpServer = server): string => `http://127.0.0.1:${on.port}${path}`;

  before(async () => {
    server = await startServer({
      version: '9.9.9',
      targets: [],
      history: new StatusHistory(),
      store: new MemoryStateStore(),
      leader: { identity: 'me', term: 1, isLeader: () => true },
      now: () => 1_000,
    });
    bare = await startServer(undefined);
  });
  after(async () => {
    await server.close(1000);
    await bare.close(1000);
  });

  it('serves the page and its assets from the daemon, under a policy that allows nothing else', async () => {
    const cases: [string, string, string][] = [
      ['/', 'text/html; charset=utf-8', '<script src="/status/page.js" defer></script>'],
      ['/status/page.js', 'text/javascript; charset=utf-8', 'lagpilotStatusPage'],
      ['/status/page.css', 'text/css; charset=utf-8', '.card'],
      ['/status/icon.svg', 'image/svg+xml', '<svg'],
    ];
    for (const [path, type, excerpt] of cases) {
      const response = await fetch(url(path));
      expect(response.status, path).to.equal(200);
      expect(response.headers.get('content-type')).to.equal(type);
      expect(response.headers.get('content-security-policy')).to.match(/^default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(await response.text()).to.include(excerpt);
    }
    // Nothing on the page comes from another origin (the daemon runs where there may be no network).
    const html = await (await fetch(url('/'))).text();
    expect(html).not.to.match(/(src|href)="(https?:)?\/\//);
  });

  it('answers the API as JSON, and refuses other methods with the allowed ones', async () => {
    const status = await fetch(url('/api/status'));
    expect(status.status).to.equal(200);
    expect(status.headers.get('content-type')).to.equal('application/json');
    expect(await status.json()).to.deep.include({ generatedAtMs: 1_000, version: '9.9.9', targets: [] });
    const history = await fetch(url('/api/status/history?target=x'));
    expect(history.status).to.equal(404);
    expect(await history.json()).to.deep.equal({ error: 'no target named "x" (configured: none)' });
    const post = await fetch(url('/api/status'), { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
    expect(await post.json()).to.deep.equal({ error: 'method POST not allowed on /api/status; use GET or HEAD' });
  });

  it('without a status source still serves the page, and the API answers 503 naming why', async () => {
    expect((await fetch(url('/', bare))).status).to.equal(200);
    const status = await fetch(url('/api/status', bare));
    expect(status.status).to.equal(503);
    expect(await status.json()).to.deep.equal({ error: 'this process runs no control loop, so it has no status to report' });
  });
});
