import { expect } from 'chai';
import { reason, type Decision } from '../policies/types.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import type { StateStore } from '../state/store.ts';
import { historyAnswer, statusAnswer, type StatusSource, type StatusTargetDescription } from './status-api.ts';
import { StatusHistory } from './status-history.ts';

const orders: StatusTargetDescription = {
  name: 'orders',
  kind: 'kubernetesScale',
  cluster: 'main',
  consumerGroup: 'orders-consumers',
  topics: ['orders'],
  replicas: { min: 1, max: 6 },
  lagTarget: { seconds: 30, messagesPerReplica: null },
  intervalMillis: 15_000,
};
const payments: StatusTargetDescription = { ...orders, name: 'payments', kind: 'dryRun', topics: { pattern: 'payments-.*' } };

function journaled(time: number, current: number, desired: number): Decision {
  return {
    time,
    current,
    desired,
    action: desired > current ? 'scaleUp' : 'none',
    reasons: [reason('lag', 'LagAboveTarget', `lag needs ${desired}`)],
    recommendations: [],
    leader: { identity: 'replica-a', term: 4 },
  };
}

function source(nowMs: number, store: StateStore = new MemoryStateStore(), leading = true, evaluatedAtMs = nowMs - 5_000): StatusSource {
  const history = new StatusHistory();
  history.record({
    target: 'orders',
    startedAtMs: evaluatedAtMs,
    outcome: { kind: 'kept', decision: journaled(0, 3, 3) },
    current: 3,
    signals: { time: 0, currentReplicas: 3, readyReplicas: 3, partitions: 6, backlogMessages: 1200, lagSeconds: 12.5, dataAgeSeconds: 0.4, partialData: false, consecutiveFailedCollections: 0 },
    collection: {
      target: 'orders', collectedAtMs: 0, durationSeconds: 0.02, partial: false, errors: [],
      samples: [{ name: 'consumergroup_status', value: 1, unit: 'count', labels: { status: 'OK' }, timestampMs: 0, source: 'kafka-lag' }],
    },
  });
  return {
    version: '1.2.3',
    targets: [orders, payments],
    history,
    store,
    leader: { identity: 'replica-a', term: 4, isLeader: () => leading },
    now: () => nowMs,
  };
}

describe('status API', () => {
  describe('/api/status', () => {
    it('reports every target with the newest evaluation and the journal, newest decision first', async () => {
      const store = new MemoryStateStore();
      for (let second = 1; second <= 7; second += 1) await store.appendDecision('orders', journaled(second, second, second + 1));
      const reply = await statusAnswer(new URLSearchParams('decisions=2'), source(100_000, store));
      if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
      const { body } = reply;
      expect(body).to.deep.include({
        generatedAtMs: 100_000,
        version: '1.2.3',
        instance: { identity: 'replica-a', leading: true, term: 4 },
        leader: { identity: 'replica-a', term: 4, source: 'this replica' },
        history: { windowSeconds: 3600, pointsPerTarget: 3600 },
      });
      const [first, second] = body.targets;
      expect(first).to.deep.equal({
        name: 'orders',
        kind: 'kubernetesScale',
        cluster: 'main',
        consumerGroup: 'orders-consumers',
        topics: ['orders'],
        replicas: { current: 3, desired: 3, min: 1, max: 6 },
        lag: { messages: 1200, seconds: 12.5, targetSeconds: 30, targetMessagesPerReplica: null },
        consumer: { status: 'OK', members: null },
        freshness: { evaluatedAtMs: 95_000, secondsSinceEvaluation: 5, dataAgeSeconds: 0.4, partialData: false, stale: false, collectionErrors: [] },
        lastOutcome: { kind: 'kept', action: 'none', failure: null },
        decisions: [journaled(7, 7, 8), journaled(6, 6, 7)],
        decisionsError: null,
      });
      // Never evaluated: every figure unknown, and stale.
      expect(second).to.deep.include({ name: 'payments', topics: { pattern: 'payments-.*' }, lastOutcome: null, decisions: [] });
      expect(second?.freshness).to.deep.include({ evaluatedAtMs: null, stale: true });
      expect(second?.lag).to.deep.include({ messages: null, seconds: null });
    });

    it('calls a target stale when no evaluation came within three intervals; a follower names the leader from the journal', async () => {
      const store = new MemoryStateStore();
      await store.appendDecision('orders', { ...journaled(90, 3, 3), leader: { identity: 'replica-b', term: 5 } });
      const reply = await statusAnswer(new URLSearchParams(), source(141_000, store, false, 95_000));
      if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
      expect(reply.body.instance.leading).to.equal(false);
      expect(reply.body.leader, 'the leader as the shared journal last saw it').to.deep.equal({ identity: 'replica-b', term: 5, source: 'journal' });
      expect(reply.body.targets[0]?.freshness).to.deep.include({ secondsSinceEvaluation: 46, stale: true });
    });

    it('shows everything else and names the cause when the journal cannot be read', async () => {
      const broken = new MemoryStateStore();
      broken.recentDecisions = () => Promise.reject(new Error('Stream isn\'t writeable and enableOfflineQueue options is false'));
      const reply = await statusAnswer(new URLSearchParams(), source(100_000, broken));
      if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
      expect(reply.body.targets[0]?.lag.messages).to.equal(1200);
      expect(reply.body.targets[0]?.decisions).to.deep.equal([]);
      expect(reply.body.targets[0]?.decisionsError).to.equal('the decision journal could not be read: Stream isn\'t writeable and enableOfflineQueue options is false');
    });

    it('reads every target\'s journal in one batched read; one target\'s unreadable journal leaves the others shown', async () => {
      const store = new MemoryStateStore();
      await store.appendDecision('payments', journaled(40, 2, 3));
      const batches: { targets: readonly string[]; count: number }[] = [];
      const readTogether = store.recentDecisionsOfTargets.bind(store);
      store.recentDecisionsOfTargets = async (targets, count) => {
        batches.push({ targets, count });
        const reads = await readTogether(targets, count);
        reads.set('orders', { ok: false, error: new Error('journal entry 1700000000000-0 of orders has no decision field') });
        return reads;
      };
      const reply = await statusAnswer(new URLSearchParams('decisions=3'), source(100_000, store));
      if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
      expect(batches).to.deep.equal([{ targets: ['orders', 'payments'], count: 3 }]);
      expect(reply.body.targets.map((target) => [target.name, target.decisions.map((decision) => decision.time), target.decisionsError])).to.deep.equal([
        ['orders', [], 'the decision journal could not be read: journal entry 1700000000000-0 of orders has no decision field'],
        ['payments', [40], null],
      ]);
      // The batch failing as a whole (Redis not answering) names the cause for every target.
      store.recentDecisionsOfTargets = () => Promise.reject(new Error('reading the decision journals of 2 targets from Redis: Redis did not answer within 2000 ms (redis.commandTimeout)'));
      const away = await statusAnswer(new URLSearchParams(), source(100_000, store));
      if (away.status !== 200) throw new Error(JSON.stringify(away.body));
      expect(away.body.targets.map((target) => [target.name, target.decisions, target.decisionsError])).to.deep.equal([
        ['orders', [], 'the decision journal could not be read: reading the decision journals of 2 targets from Redis: Redis did not answer within 2000 ms (redis.commandTimeout)'],
        ['payments', [], 'the decision journal could not be read: reading the decision journals of 2 targets from Redis: Redis did not answer within 2000 ms (redis.commandTimeout)'],
      ]);
    });

    it('refuses a decisions count that is not 0 to 50', async () => {
      for (const bad of ['51', '-1', 'all', '1.5', '']) {
        expect(await statusAnswer(new URLSearchParams({ decisions: bad }), source(0))).to.deep.equal({
          status: 400,
          body: { error: `the decisions parameter must be a whole number from 0 to 50, got ${JSON.stringify(bad)}` },
        });
      }
      // Zero decisions asked: the journal is not read at all, so its store being away costs nothing.
      const unreadJournal = new MemoryStateStore();
      let journalReads = 0;
      unreadJournal.recentDecisions = () => {
        journalReads += 1;
        return Promise.reject(new Error('the journal was read although no decision was asked for'));
      };
      const none = await statusAnswer(new URLSearchParams('decisions=0'), source(100_000, unreadJournal));
      if (none.status !== 200) throw new Error(JSON.stringify(none.body));
      expect(none.body.targets.map((target) => [target.name, target.decisions, target.decisionsError])).to.deep.equal([['orders', [], null], ['payments', [], null]]);
      expect(journalReads).to.equal(0);
    });
  });

  describe('/api/status/history', () => {
    it('answers the window by default and only newer points with since', () => {
      const status = source(100_000);
      const whole = historyAnswer(new URLSearchParams('target=orders'), status);
      if (whole.status !== 200) throw new Error(JSON.stringify(whole.body));
      expect(whole.body).to.deep.include({ target: 'orders', sinceMs: 100_000 - 3_600_000, untilMs: 100_000, windowSeconds: 3600, intervalMillis: 15_000, markers: [] });
      expect(whole.body.points.map((point) => point.timeMs)).to.deep.equal([95_000]);
      const newer = historyAnswer(new URLSearchParams('target=orders&since=95000'), status);
      expect(newer.status === 200 && newer.body.points).to.deep.equal([]);
      const older = historyAnswer(new URLSearchParams('target=orders&since=1'), source(10_000_000));
      expect(older.status === 200 && older.body.sinceMs, 'nothing before the window is kept').to.equal(10_000_000 - 3_600_000);
    });

    it('says what is wrong with a request', () => {
      const status = source(100_000);
      expect(historyAnswer(new URLSearchParams(), status)).to.deep.equal({ status: 400, body: { error: 'the target parameter is missing: use /api/status/history?target=NAME[&since=EPOCH_MILLISECONDS]' } });
      expect(historyAnswer(new URLSearchParams('target=ordres'), status)).to.deep.equal({ status: 404, body: { error: 'no target named "ordres" (configured: orders, payments)' } });
      expect(historyAnswer(new URLSearchParams('target=orders&since=2026-11-23'), status)).to.deep.equal({
        status: 400,
        body: { error: 'the since parameter must be a time in epoch milliseconds (a whole number), got "2026-11-23"' },
      });
    });
  });
});
