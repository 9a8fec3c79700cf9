import { expect } from 'chai';
import { createServer } from 'node:net';
import { parseConfigText } from './config/loader.ts';
import type { LagpilotConfig } from './config/schema.ts';
import { startDaemon } from './daemon.ts';
import type { Logger } from './logging/logger.ts';

interface LoggedLine { level: string; message: string; fields: Record<string, unknown> }

function recordingLogger(lines: LoggedLine[], context: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push({ level, message, fields: { ...context, ...fields } });
  };
  return {
    error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'),
    child: (fields) => recordingLogger(lines, { ...context, ...fields }),
  };
}

function config(text: string): LagpilotConfig {
  const result = parseConfigText(text, { sourceName: 'test', environment: {} });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

const oneTarget = `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: main, bootstrap: ["127.0.0.1:9"]}]
targets:
  - {name: orders, cluster: main, consumerGroup: g, topics: [t], interval: 50ms, tickTimeout: 40ms, replicas: {max: 2}, lag: {targetSeconds: 1}, actuator: {kind: dryRun}}
shutdown: {deadline: 300ms}
`;

describe('daemon', () => {
  it('runs the supplied tick for each target and stops cleanly, once', async () => {
    const lines: LoggedLine[] = [];
    const visited: string[] = [];
    const daemon = await startDaemon({
      config: config(oneTarget),
      logger: recordingLogger(lines),
      version: 'test',
      tick: async (target) => { visited.push(target); await Promise.resolve(); },
    });
    expect(daemon.port).to.be.above(0);
    // Waits for ticks rather than for a fixed time: on a loaded machine timers fire late.
    const giveUpAt = Date.now() + 10_000;
    while (visited.length < 2 && Date.now() < giveUpAt) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    const [first, second] = await Promise.all([daemon.stop(), daemon.stop()]);
    expect(first).to.deep.equal({ clean: true, problems: [] });
    expect(second).to.equal(first);
    expect(visited.length).to.be.at.least(2);
    expect(visited.every((target) => target === 'orders')).to.equal(true);
    const afterStop = visited.length;
    await new Promise((resolveWait) => setTimeout(resolveWait, 120));
    expect(visited.length).to.equal(afterStop);
  });

  it('reports an unclean stop when a tick ignores its abort signal past the deadline', async () => {
    let markTickStarted: () => void = () => undefined;
    const tickStarted = new Promise<void>((resolveStarted) => { markTickStarted = resolveStarted; });
    const daemon = await startDaemon({
      config: config(oneTarget.replace('tickTimeout: 40ms', 'tickTimeout: 50ms')),
      logger: recordingLogger([]),
      version: 'test',
      tick: () => {
        markTickStarted();
        return new Promise((resolveTick) => setTimeout(resolveTick, 5000));
      },
    });
    await tickStarted;
    const startedAt = performance.now();
    const result = await daemon.stop();
    expect(performance.now() - startedAt).to.be.within(250, 3000);
    expect(result).to.deep.equal({ clean: false, problems: ['ticks still running at the deadline: orders'] });
  });

  it('fails to start with a message naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolveListen) => { blocker.listen(0, '127.0.0.1', resolveListen); });
    const { port } = blocker.address() as { port: number };
    try {
      const failure = await startDaemon({
        config: config(oneTarget.replace('port: 0', `port: ${port}`)),
        logger: recordingLogger([]),
        version: 'test',
      }).then(() => undefined, (error: unknown) => error);
      expect(String(failure)).to.equal(`Error: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it('fails to start, naming the target, when its actuator cannot be built', async () => {
    const broken = oneTarget.replace('actuator: {kind: dryRun}', 'actuator: {kind: kubernetesScale, workload: {kind: Deployment, namespace: apps, name: orders}, auth: {from: kubeconfig, path: /nonexistent/kubeconfig}}');
    const failure = await startDaemon({ config: config(broken), logger: recordingLogger([]), version: 'test' }).then(() => undefined, (error: unknown) => error);
    expect(String(failure)).to.match(/^Error: target orders: .*\/nonexistent\/kubeconfig/);
  });

  it('logs each evaluation of a target at debug level', async () => {
    const lines: LoggedLine[] = [];
    const daemon = await startDaemon({ config: config(oneTarget), logger: recordingLogger(lines), version: 'test' });
    const giveUpAt = Date.now() + 10_000;
    while (!lines.some((line) => line.message === 'evaluated') && Date.now() < giveUpAt) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    }
    await daemon.stop();
    const evaluated = lines.find((line) => line.message === 'evaluated');
    expect(evaluated?.level).to.equal('debug');
    expect(evaluated?.fields).to.include({ component: 'reconciler', target: 'orders', consumerGroup: 'g', cluster: 'main' });
  });
});

describe('daemon alert path', () => {
  it('evaluates the target a firing alert names at once, between its ticks', async () => {
    const lines: LoggedLine[] = [];
    const daemon = await startDaemon({ config: config(oneTarget.replace('interval: 50ms', 'interval: 1h')), logger: recordingLogger(lines), version: 'test' });
    try {
      const evaluations = (): number => lines.filter((line) => line.message === 'evaluated').length;
      const waitFor = async (count: number): Promise<void> => {
        const giveUpAt = Date.now() + 10_000;
        while (evaluations() < count && Date.now() < giveUpAt) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
      };
      await waitFor(1);
      expect(evaluations(), 'the first tick at start').to.equal(1);
      // Alertmanager's fingerprint is a hash of the labels: different labels, different fingerprints.
      const alert = (labels: Record<string, string>, fingerprint: string): Record<string, unknown> => ({ status: 'firing', labels, annotations: {}, startsAt: '2026-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint });
      const body = { version: '4', status: 'firing', receiver: 'lagpilot', groupKey: 'k', alerts: [alert({ alertname: 'ConsumerLagHigh', lagpilot_target: 'orders' }, 'f1'), alert({ alertname: 'ConsumerLagHigh', lagpilot_target: 'nope' }, 'f2')] };
      const response = await fetch(`http://127.0.0.1:${daemon.port}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).to.be.within(200, 299);
      await waitFor(2);
      expect(evaluations(), 'one more evaluation, long before the next tick').to.equal(2);
      const unknown = lines.find((line) => line.message === 'alert names a target that is not configured');
      expect(unknown?.fields).to.include({ target: 'nope', label: 'lagpilot_target' });
    } finally {
      await daemon.stop();
    }
  });
});

describe('daemon logging', () => {
  it('logs the effective config at debug level with every secret redacted', async () => {
    const { Writable } = await import('node:stream');
    const { createLogger } = await import('./logging/logger.ts');
    let output = '';
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { output += chunk.toString(); done(); } });
    const logger = createLogger({ level: 'debug', stream });
    const daemon = await startDaemon({
      config: config(`
server: {host: 127.0.0.1, port: 0}
clusters:
  - {name: main, bootstrap: ["127.0.0.1:9"], sasl: {mechanism: plain, username: u, password: hunter2}}
prometheus: {url: "http://127.0.0.1:9", headers: {Authorization: "Bearer hunter2"}}
`),
      logger,
      version: 'test',
    });
    await daemon.stop();
    await logger.close();
    const effective = output.split('\n').find((line) => line.includes('"effective config"'));
    expect(effective).to.include('"sasl":"[REDACTED]"').and.to.include('"Authorization":"[REDACTED]"');
    expect(output).not.to.include('hunter2');
  });
});
