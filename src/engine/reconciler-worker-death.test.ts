// A worker that dies between two evaluations: the local-process actuator reports it, the
// reconciler logs the notice, and the next decision (made on the count that is really left)
// starts a replacement. Real processes, no Kafka: the lag figures are given.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LocalProcessActuator } from '../actuators/local-process.ts';
import type { Sample } from '../collectors/collector.ts';
import { localProcessActuatorSchema } from '../config/schema/actuators.ts';
import type { Logger } from '../logging/logger.ts';
import { defaultEngineConfig } from '../policies/config.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import type { TargetCollection } from './collection.ts';
import { systemClock } from './clock.ts';
import { Reconciler, singleInstanceGate } from './reconciler.ts';

interface Logged { level: string; message: string; fields: Record<string, unknown> }

function recordingLogger(lines: Logged[], context: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push({ level, message, fields: { ...context, ...fields } });
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), child: (fields) => recordingLogger(lines, { ...context, ...fields }) };
}

describe('Reconciler with local worker processes', function () {
  this.timeout(20_000);

  it('replaces a worker that died, and logs why the count fell', async () => {
    const actuator = new LocalProcessActuator(localProcessActuatorSchema.parse({
      kind: 'localProcess',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      stopTimeout: '2s',
    }));
    const engine = defaultEngineConfig();
    engine.safety.minReplicas = 2;
    engine.safety.maxReplicas = 4;
    const lines: Logged[] = [];
    const store = new MemoryStateStore();
    const collect = (): Promise<TargetCollection> => {
      const now = Date.now();
      const sample = (name: string, value: number): Sample => ({ name, value, unit: 'count', labels: {}, timestampMs: now, source: 'test' });
      return Promise.resolve({ target: 'workers', samples: [sample('consumergroup_lag_messages', 0), sample('consumergroup_lag_seconds', 0)], errors: [], partial: false, collectedAtMs: now, durationSeconds: 0 });
    };
    const reconciler = new Reconciler({
      targets: [{ name: 'workers', engine, plan: { target: 'workers', readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 }],
      collect,
      store,
      leader: singleInstanceGate('replica-a'),
      clock: systemClock,
      logger: recordingLogger(lines),
      registry: new Registry(),
    });
    try {
      const started = await reconciler.evaluateNow('workers');
      expect(started.kind === 'actuated' ? started.decision.desired : started.kind).to.equal(2);
      const [victim, survivor] = actuator.livePids();
      if (victim === undefined || survivor === undefined) throw new Error(`expected two workers, got ${actuator.livePids().join(', ')}`);
      process.kill(victim, 'SIGKILL');
      const giveUpAt = Date.now() + 10_000;
      while (actuator.livePids().includes(victim) && Date.now() < giveUpAt) await new Promise((resolveWait) => setTimeout(resolveWait, 20));

      const replaced = await reconciler.evaluateNow('workers');
      expect(replaced.kind).to.equal('actuated');
      if (replaced.kind !== 'actuated') return;
      expect(replaced.decision).to.include({ current: 1, desired: 2, action: 'scaleUp' });
      expect(replaced.decision.reasons.map((entry) => entry.code)).to.include('BelowMinimum');
      expect(replaced.result.status).to.equal('applied');
      expect(actuator.livePids()).to.have.length(2);
      expect(actuator.livePids()).to.include(survivor);
      const notice = lines.find((line) => line.message === 'actuator notice');
      expect(String(notice?.fields.notice)).to.match(new RegExp(`^worker 1 \\(pid ${victim}\\) exited unexpectedly on SIGKILL after [0-9.]+ s$`));
    } finally {
      await actuator.close();
    }
  });
});
