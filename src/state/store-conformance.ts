// The one conformance suite every StateStore implementation passes. `openStore` opens a new
// store on the same backing state each time it is called: a second lagpilot replica, or this
// one after a restart. Each suite run uses its own target names, so leftovers cannot help.
import { expect } from 'chai';
import type { Decision } from '../policies/types.ts';
import type { JournalRead, StateStore } from './store.ts';

export interface ConformanceSubject {
  openStore(): Promise<StateStore>;
  /** How long to wait for a cooldown to lapse on the store's own clock. */
  sleep(millis: number): Promise<void>;
}

function decisionAt(time: number, desired: number): Decision {
  return {
    time,
    current: 2,
    desired,
    action: desired > 2 ? 'scaleUp' : desired < 2 ? 'scaleDown' : 'none',
    reasons: [{ code: 'LagAboveTarget', source: 'lag', message: `lag at ${time}`, evidence: { lagSeconds: 42, note: 'x', ok: true, none: null } }],
    recommendations: [{ policy: 'lag', replicas: desired, dataComplete: true, reasons: [], evidence: { lagSeconds: 42 } }],
  };
}

function decisionsRead(read: JournalRead | undefined): Decision[] {
  if (read?.ok !== true) throw new Error(`expected the journal to be read, got ${read === undefined ? 'no answer' : read.error.message}`);
  return read.decisions;
}

export function stateStoreConformance(name: string, subject: () => ConformanceSubject, journalLength: number): void {
  describe(`${name} state store (conformance)`, function () {
    let store: StateStore;
    let opened: StateStore[] = [];
    let run = 0;
    const target = (label: string): string => `conformance-${label}-${process.pid}-${Date.now()}-${run}`;

    const open = async (): Promise<StateStore> => {
      const next = await subject().openStore();
      opened.push(next);
      return next;
    };

    beforeEach(async function () {
      run += 1;
      opened = [];
      store = await open();
    });

    afterEach(async function () {
      for (const each of opened) await each.close();
    });

    it('gives a cooldown to exactly one of many concurrent callers', async function () {
      const name = target('race');
      const replicas = await Promise.all([open(), open(), open()]);
      const attempts = await Promise.all(
        [store, ...replicas].flatMap((each, index) => [1, 2, 3].map((attempt) => each.acquireCooldown(name, 'scaleDown', `replica-${index}-${attempt}`, 5_000))),
      );
      const winners = attempts.filter((attempt) => attempt.acquired);
      expect(winners).to.have.length(1);
      const winner = winners[0]?.holder;
      for (const attempt of attempts) {
        expect(attempt.holder).to.equal(winner);
        expect(attempt.remainingMillis).to.be.within(1, 5_000);
      }
    });

    it('lets a cooldown lapse after its time, and keeps kinds and targets apart', async function () {
      const name = target('lapse');
      expect((await store.acquireCooldown(name, 'scaleUp', 'a', 300)).acquired).to.equal(true);
      expect((await store.acquireCooldown(name, 'scaleDown', 'b', 300)).acquired).to.equal(true);
      expect((await store.acquireCooldown(`${name}-other`, 'scaleUp', 'c', 300)).acquired).to.equal(true);
      expect(await store.cooldown(name, 'scaleUp')).to.deep.include({ holder: 'a' });
      await subject().sleep(450);
      expect(await store.cooldown(name, 'scaleUp')).to.equal(null);
      expect((await store.acquireCooldown(name, 'scaleUp', 'd', 300)).acquired).to.equal(true);
    });

    it('releases a cooldown only for its holder', async function () {
      const name = target('release');
      await store.acquireCooldown(name, 'scaleDown', 'holder', 5_000);
      expect(await store.releaseCooldown(name, 'scaleDown', 'someone-else')).to.equal(false);
      expect(await store.cooldown(name, 'scaleDown')).to.deep.include({ holder: 'holder' });
      expect(await store.releaseCooldown(name, 'scaleDown', 'holder')).to.equal(true);
      expect(await store.cooldown(name, 'scaleDown')).to.equal(null);
    });

    it('refuses a cooldown without a positive whole number of milliseconds', async function () {
      const name = target('ttl');
      for (const ttl of [0, -5, 1.5]) {
        let failure: unknown;
        try {
          await store.acquireCooldown(name, 'scaleUp', 'a', ttl);
        } catch (error) {
          failure = error;
        }
        expect(String(failure)).to.match(/whole number of milliseconds/);
      }
    });

    it('keeps recommendations within their window, oldest first', async function () {
      const name = target('history');
      for (const [time, replicas] of [[100, 4], [160, 6], [220, 6], [400, 3]] as const) {
        await store.recordRecommendation(name, { time, replicas }, 200);
      }
      // Written at 400 with a 200 s window: 100 and 160 have gone.
      expect(await store.recommendations(name, 0)).to.deep.equal([{ time: 220, replicas: 6 }, { time: 400, replicas: 3 }]);
      expect(await store.recommendations(name, 300)).to.deep.equal([{ time: 400, replicas: 3 }]);
      expect(await store.recommendations(target('none'), 0)).to.deep.equal([]);
    });

    it('journals decisions newest first, capped at the journal length', async function () {
      const name = target('journal');
      for (let index = 0; index < journalLength + 3; index += 1) await store.appendDecision(name, decisionAt(1000 + index, index % 5));
      const newest = await store.recentDecisions(name, 2);
      expect(newest.map((decision) => decision.time)).to.deep.equal([1000 + journalLength + 2, 1000 + journalLength + 1]);
      expect(newest[0]).to.deep.equal(decisionAt(1000 + journalLength + 2, (journalLength + 2) % 5));
      const all = await store.recentDecisions(name, journalLength * 2);
      expect(all).to.have.length(journalLength);
      expect(all.at(-1)?.time).to.equal(1003);
      expect(await store.recentDecisions(name, 0), 'no count, no decisions').to.deep.equal([]);
    });

    it('reads the journals of many targets together, each as recentDecisions reads it', async function () {
      const busy = target('batch-busy');
      const quiet = target('batch-quiet');
      const never = target('batch-never');
      for (let index = 0; index < journalLength + 2; index += 1) await store.appendDecision(busy, decisionAt(2000 + index, index % 4));
      await store.appendDecision(quiet, decisionAt(3000, 5));

      const reads = await store.recentDecisionsOfTargets([busy, quiet, never], 3);
      expect([...reads.keys()]).to.deep.equal([busy, quiet, never]);
      expect(reads.get(busy)).to.deep.equal({ ok: true, decisions: await store.recentDecisions(busy, 3) });
      expect(decisionsRead(reads.get(busy)).map((decision) => decision.time)).to.deep.equal([2000 + journalLength + 1, 2000 + journalLength, 2000 + journalLength - 1]);
      expect(reads.get(quiet)).to.deep.equal({ ok: true, decisions: [decisionAt(3000, 5)] });
      expect(reads.get(never), 'a target never journaled has an empty journal').to.deep.equal({ ok: true, decisions: [] });

      const whole = await store.recentDecisionsOfTargets([busy], journalLength * 2);
      expect(decisionsRead(whole.get(busy))).to.have.length(journalLength);
      const none = await store.recentDecisionsOfTargets([busy, quiet], 0);
      expect([...none.entries()]).to.deep.equal([[busy, { ok: true, decisions: [] }], [quiet, { ok: true, decisions: [] }]]);
      expect((await store.recentDecisionsOfTargets([], 5)).size).to.equal(0);
    });

    it('shares cooldowns, history and journal with another store on the same state (a replica, or a restart)', async function () {
      const name = target('shared');
      await store.acquireCooldown(name, 'scaleDown', 'first-replica', 5_000);
      await store.recordRecommendation(name, { time: 10, replicas: 8 }, 300);
      await store.appendDecision(name, decisionAt(10, 8));
      await store.close();

      const restarted = await open();
      expect(await restarted.cooldown(name, 'scaleDown')).to.deep.include({ holder: 'first-replica' });
      expect((await restarted.acquireCooldown(name, 'scaleDown', 'second-replica', 5_000)).acquired).to.equal(false);
      expect(await restarted.recommendations(name, 0)).to.deep.equal([{ time: 10, replicas: 8 }]);
      expect((await restarted.recentDecisions(name, 10)).map((decision) => decision.desired)).to.deep.equal([8]);
    });

    it('closes idempotently', async function () {
      await store.close();
      await store.close();
    });
  });
}
