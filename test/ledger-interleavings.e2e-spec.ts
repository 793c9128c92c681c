import type { Config } from '@jest/types';
import { Interleaver, type Parked } from './support/interleaver';
import { buyer, farFuture, LedgerLab } from './support/ledger-lab';
import { ScheduleExplorer, type Dependent } from './support/schedule-explorer';
import { note } from './support/notes';

/**
 * The ledger's promise under staged interleavings of the real service code on the real database:
 * purchase attempts, reconciler ticks and crashes, each held between any two of its database steps.
 * Without transactions (the compensation algorithm, which is the one with steps to interleave); on a
 * replica set the transaction's snapshot isolation is the database's own guarantee.
 */
const REAL_TIMERS: Config.FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];

describe('the purchase ledger under staged interleavings (e2e)', () => {
  // Several labs (an app on its own database each) explore orderings side by side.
  const LANES = 3;
  const lanes: LedgerLab[] = [];
  let lab: LedgerLab;

  beforeAll(async () => {
    for (let i = 0; i < LANES; i += 1) lanes.push(await LedgerLab.open());
    lab = lanes[0];
    // The wall clock moves only when a test says so (timers stay real): an actor held with a stale
    // `now` must be staged the same way on every replay, not depend on which millisecond it ran in.
    jest.useFakeTimers({ doNotFake: REAL_TIMERS, now: Date.now() });
  });
  afterAll(async () => {
    jest.useRealTimers();
    await Promise.all(lanes.map((lane) => lane.close()));
  });

  describe('the findings of issue 7, staged exactly', () => {
    it('finding 1: a give-back racing the recount of a flagged sale never counts units twice', async () => {
      const saleId = await lab.openSale(10);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { X: buyer('x'), Y: buyer('y') };
      // Y reserves and dies: its stale record makes the reconciler recount the sale.
      await il.start('Y', () => lab.service.purchase(users.Y, saleId.toHexString(), 1));
      await il.advance('Y');
      il.crash('Y');
      // X takes 2 units, its confirm fails, it deletes its own record... and is held there.
      il.inject({ actor: 'X', step: 'purchases.confirm', phase: 'before' });
      await il.start('X', () => lab.service.purchase(users.X, saleId.toHexString(), 2));
      while (il.completed.get('X')!.every(([step]) => step !== 'purchases.deletePending')) {
        await il.advance('X');
      }
      // A whole reconciler tick runs meanwhile, then X goes on.
      await il.start('R', () => lab.reconciler.reconcile(farFuture()));
      await il.runToEnd('R');
      await il.runToEnd('X');
      await lab.expectNoUnitSellableTwice(saleId, il, { X: 2, Y: 1 }, users);
      const { sale } = await lab.expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await lab.cleanUp(saleId, il);
    });

    it('finding 2: an attempt that stalls past the pending timeout loses no units for good', async () => {
      const saleId = await lab.openSale(10);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => lab.service.purchase(users.X, saleId.toHexString(), 2));
      await il.advance('X'); // reserved; now it stalls in front of its take
      await il.start('R', () => lab.reconciler.reconcile(farFuture()));
      await il.runToEnd('R'); // judges X abandoned, deletes its record, recounts
      await il.runToEnd('X'); // X wakes up: takes, its confirm matches nothing
      expect(il.settled.get('X')).toMatchObject({ ok: false });
      const { sale } = await lab.expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await lab.cleanUp(saleId, il);
    });

    it('finding 2b: a delete applied whose reply is lost loses no units for good', async () => {
      const saleId = await lab.openSale(10);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { X: buyer('x') };
      il.inject({ actor: 'X', step: 'purchases.confirm', phase: 'before' });
      il.inject({ actor: 'X', step: 'purchases.deletePending', phase: 'after' });
      await il.start('X', () => lab.service.purchase(users.X, saleId.toHexString(), 2));
      await il.runToEnd('X');
      expect(il.settled.get('X')).toMatchObject({ ok: false });
      const { sale } = await lab.expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await lab.cleanUp(saleId, il);
    });
  });

  describe('the scheduler between the steps of others', () => {
    it("ends the sale between an attempt's take and its confirm: the purchase stands", async () => {
      const saleId = await lab.openSale(5);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => lab.service.purchase(users.X, saleId.toHexString(), 1));
      await il.advance('X'); // reserved
      await il.advance('X'); // took; now held in front of its confirm
      await lab.sales.updateOne({ _id: saleId }, { $set: { endTime: new Date() } }).exec();
      await il.start('S', () => lab.lifecycle.advance(new Date(Date.now() + 1)));
      await il.runToEnd('S');
      expect((await lab.ledger(saleId)).sale.status).toBe('ended');
      await il.runToEnd('X');
      expect(il.settled.get('X')).toMatchObject({ ok: true });
      const { sale } = await lab.expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ soldQuantity: 1, remainingQuantity: 4, status: 'ended' });
      await lab.cleanUp(saleId, il);
    });

    it("a status sweep between the audit's read and its recount makes the recount wait a tick", async () => {
      const saleId = await lab.openSale(1);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => lab.service.purchase(users.X, saleId.toHexString(), 1));
      await il.runToEnd('X'); // bought the last unit: remaining 0, still stored 'active', audit due
      await il.start('R', () => lab.reconciler.reconcile(new Date()));
      while (il.waiting()[0]?.step !== 'sales.recount') await il.advance('R');
      await il.start('S', () => lab.lifecycle.advance(new Date()));
      await il.runToEnd('S'); // marks it sold out under the audit's feet
      await il.runToEnd('R');
      expect(il.settled.get('R')).toMatchObject({ ok: true, value: { deferred: 1 } });
      const { sale } = await lab.expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ soldQuantity: 1, status: 'sold_out', auditDue: false });
      await lab.cleanUp(saleId, il);
    });
  });

  describe('every ordering of two attempts and one reconciler tick', () => {
    /**
     * What each step reads and writes, per document (the sale; each buyer's record, seen as its pending
     * and its confirmed part, since the reconciler's scans read one state across all records). Two steps
     * commute unless one writes what the other reads or writes. R's deletes may hit either record.
     */
    const footprint = ({ actor, step }: Parked): { reads: string[]; writes: string[] } => {
      const mine = actor === 'R' ? ['A', 'B'] : [actor];
      const pending = mine.map((a) => `pending:${a}`);
      const all = (state: string) => [`${state}:A`, `${state}:B`];
      switch (step) {
        case 'purchases.reserve':
        case 'purchases.deletePending':
          return { reads: [], writes: pending };
        case 'purchases.confirm':
          return { reads: [], writes: [...pending, ...mine.map((a) => `confirmed:${a}`)] };
        case 'purchases.findAbandoned':
        case 'purchases.countPending':
          return { reads: all('pending'), writes: [] };
        case 'purchases.sumConfirmed':
          return { reads: all('confirmed'), writes: [] };
        case 'purchases.findById':
        case 'purchases.findBySaleAndUser':
          return { reads: [...pending, ...mine.map((a) => `confirmed:${a}`)], writes: [] };
        case 'sales.findById':
        case 'sales.findAuditDue':
          return { reads: ['sale'], writes: [] };
        default: // sales.take, sales.recount, lifecycle.*: every other step writes the sale
          return { reads: [], writes: ['sale'] };
      }
    };
    const dependent: Dependent = (a, b) => {
      const x = footprint(a);
      const y = footprint(b);
      const hits = (writes: string[], cells: string[]) => writes.some((w) => cells.includes(w));
      return hits(x.writes, [...y.reads, ...y.writes]) || hits(y.writes, x.reads);
    };
    // Only a write to the sale or a confirm can raise `remaining + confirmed + held`: check after those.
    const mayOversell = (p: Parked) =>
      p.step === 'purchases.confirm' || footprint(p).writes.includes('sale');

    interface Plan {
      stock: number;
      eager: boolean; // the tick treats every pending record as abandoned
      crash?: { actor: string; afterSteps: number };
    }

    /** One run of a plan along the explorer's next ordering; false when the run repeated an earlier one. */
    async function runOnce(lab: LedgerLab, plan: Plan, explorer: ScheduleExplorer) {
      const saleId = await lab.openSale(plan.stock);
      const il = new Interleaver();
      lab.steps.install(il);
      const users = { A: buyer('a'), B: buyer('b') };
      const quantities = { A: 1, B: 1 };
      const moves: Record<string, number> = { A: 0, B: 0, R: 0 };
      await il.start('A', () => lab.service.purchase(users.A, saleId.toHexString(), 1));
      await il.start('B', () => lab.service.purchase(users.B, saleId.toHexString(), 1));
      await il.start('R', () => lab.reconciler.reconcile(plan.eager ? farFuture() : new Date()));
      let complete = true;
      for (;;) {
        if (plan.crash && moves[plan.crash.actor] === plan.crash.afterSteps)
          il.crash(plan.crash.actor);
        // A and B are the same attempt by two buyers: unless one of them is to crash, orderings where
        // B moves first mirror orderings where A does.
        const mirrored = !plan.crash || plan.crash.actor === 'R';
        const waiting = il
          .waiting()
          .filter((p) => !mirrored || p.actor !== 'B' || moves.A + moves.B > 0);
        if (waiting.length === 0) break;
        const choice = explorer.next(waiting);
        if (!choice) {
          complete = false; // sleeping: equivalent to an ordering already run
          break;
        }
        await il.advance(choice.actor);
        jest.setSystemTime(Date.now() + 1); // each step in its own millisecond
        moves[choice.actor] += 1;
        if (mayOversell(choice)) await lab.expectNoUnitSellableTwice(saleId, il, quantities, users);
      }
      if (complete) await lab.expectBalancedWhenQuiet(saleId, il, users);
      await lab.cleanUp(saleId, il);
      return complete;
    }

    async function explore(lab: LedgerLab, label: string, plan: Plan) {
      const explorer = new ScheduleExplorer(dependent);
      let complete = 0;
      try {
        do {
          if (await runOnce(lab, plan, explorer)) complete += 1;
        } while (explorer.nextRun());
      } catch (error) {
        (error as Error).message = `${label}: ${(error as Error).message}`;
        throw error;
      }
      return { runs: explorer.runs, complete };
    }

    // Crashes are staged with the eager reconciler, which is the one that acts on what a crash left
    // (a patient tick leaves a crashed attempt's record alone). B crashing mirrors A crashing.
    const plans: Array<[string, Plan]> = [];
    for (const stock of [1, 2]) {
      for (const eager of [false, true]) {
        plans.push([`stock ${stock}, ${eager ? 'eager' : 'patient'} reconciler`, { stock, eager }]);
      }
      for (const [actor, steps] of [
        ['A', 5],
        ['R', 6],
      ] as const) {
        for (let afterSteps = 0; afterSteps < steps; afterSteps += 1) {
          plans.push([
            `stock ${stock}, eager reconciler, ${actor} crashes after ${afterSteps} step(s)`,
            { stock, eager: true, crash: { actor, afterSteps } },
          ]);
        }
      }
    }

    it(`holds the ledger in each of ${plans.length} plans`, async () => {
      const only = new RegExp(process.env.INTERLEAVING_PLANS ?? '');
      const queue = plans.filter(([label]) => only.test(label));
      const tally = { plans: queue.length, runs: 0, complete: 0 };
      const started = performance.now(); // the Date clock is staged here; performance is not
      // Each lane takes the next plan until none is left.
      await Promise.all(
        lanes.map(async (lane) => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const result = await explore(lane, ...next);
            tally.runs += result.runs;
            tally.complete += result.complete;
          }
        }),
      );
      expect(tally.complete).toBeGreaterThan(0);
      note(
        `[interleavings] ${tally.plans} plans: ${tally.runs} orderings run (${tally.complete} to the ` +
          `end, the rest cut short as equivalent to one already run) in ${Math.round(performance.now() - started)} ms`,
      );
    }, 900_000);
  });
});
