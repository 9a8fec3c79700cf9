// The reconciler's evaluation observer (onEvaluated), which feeds the status page's history: it
// hears of every evaluation with what it saw, failed ones too, and cannot break the loop.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from '../actuators/actuator.ts';
import { createLogger } from '../logging/logger.ts';
import { defaultEngineConfig } from '../policies/config.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import { ManualClock } from './clock.ts';
import type { CollectionPlan, TargetCollection } from './collection.ts';
import { Reconciler, singleInstanceGate, type EvaluationReport } from './reconciler.ts';

const discard = new Writable({ write: (_chunk, _encoding, done) => { done(); } });

class ScriptedActuator implements Actuator {
  readonly kind = 'scripted';
  readonly dryRun = false;
  replicas = 1;
  readable = true;

  current(): Promise<ActuatorState> {
    return this.readable ? Promise.resolve({ replicas: this.replicas, notices: [] }) : Promise.reject(new Error('the workload is gone'));
  }

  apply(request: ActuationRequest): Promise<ActuationResult> {
    const before = this.replicas;
    this.replicas = request.decision.desired;
    return Promise.resolve({ status: 'applied', code: 'Scaled', detail: `${before} -> ${this.replicas}`, replicasBefore: before, replicasAfter: this.replicas });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(observe: (report: EvaluationReport) => void): { reconciler: Reconciler; actuator: ScriptedActuator; clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000);
  const actuator = new ScriptedActuator();
  const engine = defaultEngineConfig();
  engine.lag.targetLagSeconds = 10;
  engine.throughput.capacityPerReplica = 20;
  engine.throughput.measureCapacity = false;
  engine.prediction.enabled = false;
  engine.safety.maxReplicas = 12;
  const collect = (plan: CollectionPlan): Promise<TargetCollection> => {
    const at = clock.now();
    const sample = (name: string, value: number, labels: Record<string, string> = {}): TargetCollection['samples'][number] => ({ name, value, unit: 'count', labels, timestampMs: at, source: 'test' });
    return Promise.resolve({
      target: plan.target,
      samples: [
        sample('consumergroup_lag_messages', 5000),
        sample('consumergroup_lag_seconds', 60),
        sample('consumergroup_members', 1),
        sample('topic_produce_rate', 50),
        sample('consumergroup_consume_rate', 50),
        ...Array.from({ length: 12 }, (_, partition) => sample('partition_log_end_offset', 0, { topic: 't', partition: String(partition) })),
      ],
      errors: [],
      partial: false,
      collectedAtMs: at,
      durationSeconds: 0,
    });
  };
  const reconciler = new Reconciler({
    targets: [{ name: 'orders', engine, plan: { target: 'orders', readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 }],
    collect,
    store: new MemoryStateStore({ nowMillis: () => clock.now() }),
    leader: singleInstanceGate('replica-a'),
    clock,
    logger: createLogger({ level: 'error', stream: discard }),
    registry: new Registry(),
    onEvaluated: observe,
  });
  return { reconciler, actuator, clock };
}

describe('Reconciler evaluation observer', () => {
  it('reports each evaluation with its start, the replicas after it, the collection and the signals', async () => {
    const reports: EvaluationReport[] = [];
    const { reconciler, clock } = setUp((report) => { reports.push(report); });
    const outcome = await reconciler.evaluateNow('orders');
    expect(outcome.kind, JSON.stringify(outcome.kind === 'failed' ? outcome.reason : outcome.decision.reasons.map((entry) => entry.message))).to.equal('actuated');
    expect(reports).to.have.length(1);
    const [report] = reports;
    expect(report?.target).to.equal('orders');
    expect(report?.startedAtMs).to.equal(clock.now());
    expect(report?.outcome).to.equal(outcome);
    // The count the actuator set, not the one read before deciding.
    expect(report?.current).to.equal(outcome.kind === 'actuated' ? outcome.result.replicasAfter : undefined);
    expect(report?.current).to.be.greaterThan(1);
    expect(report?.signals?.backlogMessages).to.equal(5000);
    expect(report?.signals?.lagSeconds).to.equal(60);
    expect(report?.collection?.samples).to.have.length(17);
  });

  it('reports a failed evaluation with what it saw before failing', async () => {
    const reports: EvaluationReport[] = [];
    const { reconciler, actuator } = setUp((report) => { reports.push(report); });
    actuator.readable = false;
    const outcome = await reconciler.evaluateNow('orders');
    expect(outcome.kind).to.equal('failed');
    expect(reports.map((report) => [report.outcome.kind, report.current, report.collection, report.signals])).to.deep.equal([['failed', undefined, undefined, undefined]]);
  });

  it('keeps evaluating when the observer throws', async () => {
    const { reconciler } = setUp(() => { throw new Error('observer bug'); });
    expect((await reconciler.evaluateNow('orders')).kind).to.equal('actuated');
    expect((await reconciler.evaluateNow('orders')).kind).to.not.equal('failed');
  });
});
