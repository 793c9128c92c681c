import { getModelToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Types, type Model } from 'mongoose';
import type { AuthenticatedUser } from '../src/auth/authenticated-user';
import { ApiError } from '../src/common/errors/api-error';
import { DatabaseSteps } from '../src/database/database-steps';
import { PurchaseReconciler } from '../src/purchases/purchase-reconciler';
import { PurchasesService } from '../src/purchases/purchases.service';
import type { Purchase } from '../src/purchases/schemas/purchase.schema';
import { SaleLifecycleService } from '../src/sales/sale-lifecycle.service';
import { SaleSnapshotCache } from '../src/sales/sale-snapshot.cache';
import type { Sale } from '../src/sales/schemas/sale.schema';
import { Interleaver, type Parked } from './support/interleaver';
import { ScheduleExplorer, type Dependent } from './support/schedule-explorer';
import { createTestApp, uniqueDatabaseName } from './support/test-app';

/**
 * The ledger's promise under staged interleavings of the real service code on the real database:
 * purchase attempts, reconciler ticks and crashes, each held between any two of its database steps.
 * Without transactions (the compensation algorithm, which is the one with steps to interleave); on a
 * replica set the transaction's snapshot isolation is the database's own guarantee.
 */
describe('the purchase ledger under staged interleavings (e2e)', () => {
  let app: NestFastifyApplication;
  let sales: Model<Sale>;
  let purchases: Model<Purchase>;
  let steps: DatabaseSteps;
  let service: PurchasesService;
  let reconciler: PurchaseReconciler;
  const farFuture = () => new Date(Date.now() + 3_600_000); // every pending record counts as stale
  const buyer = (name: string): AuthenticatedUser => ({
    id: new Types.ObjectId().toHexString(),
    username: name,
    role: 'user',
    tokenExpiresAt: Date.now() + 3_600_000,
  });

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName(), {
      MONGO_TRANSACTIONS: 'off',
      RECONCILE_INTERVAL_MS: '3600000', // the tests run every reconciler tick themselves
      SALE_CACHE_TTL_MS: '10000', // snapshots are read before the actors reach their first step
    });
    void app.get(SchedulerRegistry).getCronJob('sale-status').stop();
    sales = app.get(getModelToken('Sale'));
    purchases = app.get(getModelToken('Purchase'));
    steps = app.get(DatabaseSteps);
    service = app.get(PurchasesService);
    reconciler = app.get(PurchaseReconciler);
  });
  afterAll(async () => {
    steps.install(null);
    await app.close();
  });

  async function openSale(totalQuantity: number): Promise<Types.ObjectId> {
    const [sale] = await sales.insertMany([
      {
        name: 'Interleaved',
        productId: new Types.ObjectId(),
        product: { name: 'Thing', priceCents: 100 },
        startTime: new Date(Date.now() - 60_000),
        totalQuantity,
        remainingQuantity: totalQuantity,
        maxPerUser: 5,
        status: 'active',
      },
    ]);
    app.get(SaleSnapshotCache).remember(sale.toObject());
    return sale._id;
  }

  async function ledger(saleId: Types.ObjectId) {
    const sale = (await sales.findById(saleId).lean().exec())!;
    const records = await purchases.find({ saleId }).lean().exec();
    const confirmed = records.filter((r) => r.state === 'confirmed');
    const units = confirmed.reduce((sum, r) => sum + r.quantity, 0);
    return { sale, records, confirmed, units };
  }

  /**
   * At every moment: no unit can be sold twice. Units held by an attempt that took them and may still
   * confirm count as sold, so `remaining + confirmed + held <= total`.
   */
  async function expectNoUnitSellableTwice(
    saleId: Types.ObjectId,
    il: Interleaver,
    quantities: Record<string, number>,
    users: Record<string, AuthenticatedUser>,
  ) {
    const { sale, records, units } = await ledger(saleId);
    const pendingUsers = new Set(
      records.filter((r) => r.state === 'pending').map((r) => String(r.userId)),
    );
    let held = 0;
    for (const [actor, user] of Object.entries(users)) {
      const took = (il.completed.get(actor) ?? []).some(
        ([step, result]) => step.startsWith('sales.take') && result !== null,
      );
      if (took && pendingUsers.has(user.id)) held += quantities[actor];
    }
    expect(sale.remainingQuantity).toBeGreaterThanOrEqual(0);
    expect(sale.remainingQuantity + units + held).toBeLessThanOrEqual(sale.totalQuantity);
  }

  /** At the next quiet moment (crashed attempts abandoned, reconciler run): the ledger balances. */
  async function expectBalancedWhenQuiet(
    saleId: Types.ObjectId,
    il: Interleaver,
    users: Record<string, AuthenticatedUser>,
  ) {
    await reconciler.reconcile(farFuture());
    const balance = await ledger(saleId);
    const { sale, records, confirmed, units } = balance;
    expect(records.filter((r) => r.state !== 'confirmed')).toEqual([]);
    expect(sale.remainingQuantity).toBeGreaterThanOrEqual(0);
    expect(sale.soldQuantity).toBe(units);
    expect(sale.totalQuantity - sale.remainingQuantity).toBe(units);
    expect(new Set(confirmed.map((r) => String(r.userId))).size).toBe(confirmed.length);
    // The line: places are distinct and the clock never runs backwards along them.
    const line = [...confirmed].sort((a, b) => a.seq! - b.seq!);
    expect(new Set(line.map((r) => r.seq)).size).toBe(line.length);
    for (let i = 1; i < line.length; i += 1) {
      expect(line[i].purchasedAt!.getTime()).toBeGreaterThanOrEqual(
        line[i - 1].purchasedAt!.getTime(),
      );
    }
    // What each buyer was told is what the ledger says.
    for (const [actor, user] of Object.entries(users)) {
      const outcome = il.settled.get(actor);
      const mine = confirmed.find((r) => String(r.userId) === user.id);
      if (outcome?.ok) {
        expect(String(mine?._id)).toBe((outcome.value as { id: string }).id);
      } else if (outcome && outcome.error instanceof ApiError) {
        const code = outcome.error.body.code;
        if (code === 'PURCHASE_NOT_COMPLETED' || outcome.error.body.statusCode === 409) {
          expect(mine).toBeUndefined();
        }
      } else if (outcome) {
        throw outcome.error; // anything but an API error would be a 500
      }
    }
    return balance;
  }

  async function cleanUp(saleId: Types.ObjectId) {
    steps.install(null);
    await purchases.deleteMany({ saleId }).exec();
    await sales.deleteOne({ _id: saleId }).exec();
  }

  describe('the findings of issue 7, staged exactly', () => {
    it('finding 1: a give-back racing the recount of a flagged sale never counts units twice', async () => {
      const saleId = await openSale(10);
      const il = new Interleaver();
      steps.install(il);
      const users = { X: buyer('x'), Y: buyer('y') };
      // Y reserves and dies: its stale record makes the reconciler recount the sale.
      await il.start('Y', () => service.purchase(users.Y, saleId.toHexString(), 1));
      await il.advance('Y');
      il.crash('Y');
      // X takes 2 units, its confirm fails, it deletes its own record... and is held there.
      il.inject({ actor: 'X', step: 'purchases.confirm', phase: 'before' });
      await il.start('X', () => service.purchase(users.X, saleId.toHexString(), 2));
      while (il.completed.get('X')!.every(([step]) => step !== 'purchases.deletePending')) {
        await il.advance('X');
      }
      // A whole reconciler tick runs meanwhile, then X goes on.
      await il.start('R', () => reconciler.reconcile(farFuture()));
      await il.runToEnd('R');
      await il.runToEnd('X');
      await expectNoUnitSellableTwice(saleId, il, { X: 2, Y: 1 }, users);
      const { sale } = await expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await cleanUp(saleId);
    });

    it('finding 2: an attempt that stalls past the pending timeout loses no units for good', async () => {
      const saleId = await openSale(10);
      const il = new Interleaver();
      steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => service.purchase(users.X, saleId.toHexString(), 2));
      await il.advance('X'); // reserved; now it stalls in front of its take
      await il.start('R', () => reconciler.reconcile(farFuture()));
      await il.runToEnd('R'); // judges X abandoned, deletes its record, recounts
      await il.runToEnd('X'); // X wakes up: takes, its confirm matches nothing
      expect(il.settled.get('X')).toMatchObject({ ok: false });
      const { sale } = await expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await cleanUp(saleId);
    });

    it('finding 2b: a delete applied whose reply is lost loses no units for good', async () => {
      const saleId = await openSale(10);
      const il = new Interleaver();
      steps.install(il);
      const users = { X: buyer('x') };
      il.inject({ actor: 'X', step: 'purchases.confirm', phase: 'before' });
      il.inject({ actor: 'X', step: 'purchases.deletePending', phase: 'after' });
      await il.start('X', () => service.purchase(users.X, saleId.toHexString(), 2));
      await il.runToEnd('X');
      expect(il.settled.get('X')).toMatchObject({ ok: false });
      const { sale } = await expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ remainingQuantity: 10, soldQuantity: 0 });
      await cleanUp(saleId);
    });
  });

  describe('the scheduler between the steps of others', () => {
    it("ends the sale between an attempt's take and its confirm: the purchase stands", async () => {
      const saleId = await openSale(5);
      const il = new Interleaver();
      steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => service.purchase(users.X, saleId.toHexString(), 1));
      await il.advance('X'); // reserved
      await il.advance('X'); // took; now held in front of its confirm
      await sales.updateOne({ _id: saleId }, { $set: { endTime: new Date() } }).exec();
      await il.start('S', () => app.get(SaleLifecycleService).advance(new Date(Date.now() + 1)));
      await il.runToEnd('S');
      expect((await ledger(saleId)).sale.status).toBe('ended');
      await il.runToEnd('X');
      expect(il.settled.get('X')).toMatchObject({ ok: true });
      const { sale } = await expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ soldQuantity: 1, remainingQuantity: 4, status: 'ended' });
      await cleanUp(saleId);
    });

    it("a status sweep between the audit's read and its recount makes the recount wait a tick", async () => {
      const saleId = await openSale(1);
      const il = new Interleaver();
      steps.install(il);
      const users = { X: buyer('x') };
      await il.start('X', () => service.purchase(users.X, saleId.toHexString(), 1));
      await il.runToEnd('X'); // bought the last unit: remaining 0, still stored 'active', audit due
      await il.start('R', () => reconciler.reconcile(new Date()));
      while (il.waiting()[0]?.step !== 'sales.recount') await il.advance('R');
      await il.start('S', () => app.get(SaleLifecycleService).advance(new Date()));
      await il.runToEnd('S'); // marks it sold out under the audit's feet
      await il.runToEnd('R');
      expect(il.settled.get('R')).toMatchObject({ ok: true, value: { deferred: 1 } });
      const { sale } = await expectBalancedWhenQuiet(saleId, il, users);
      expect(sale).toMatchObject({ soldQuantity: 1, status: 'sold_out', auditDue: false });
      await cleanUp(saleId);
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
    async function runOnce(plan: Plan, explorer: ScheduleExplorer): Promise<boolean> {
      const saleId = await openSale(plan.stock);
      const il = new Interleaver();
      steps.install(il);
      const users = { A: buyer('a'), B: buyer('b') };
      const quantities = { A: 1, B: 1 };
      const moves: Record<string, number> = { A: 0, B: 0, R: 0 };
      await il.start('A', () => service.purchase(users.A, saleId.toHexString(), 1));
      await il.start('B', () => service.purchase(users.B, saleId.toHexString(), 1));
      await il.start('R', () => reconciler.reconcile(plan.eager ? farFuture() : new Date()));
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
        moves[choice.actor] += 1;
        if (mayOversell(choice)) await expectNoUnitSellableTwice(saleId, il, quantities, users);
      }
      if (complete) await expectBalancedWhenQuiet(saleId, il, users);
      await cleanUp(saleId);
      return complete;
    }

    async function explore(plan: Plan, dependency: Dependent | null = dependent) {
      const explorer = new ScheduleExplorer(dependency);
      let complete = 0;
      do {
        if (await runOnce(plan, explorer)) complete += 1;
      } while (explorer.nextRun());
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
      let runs = 0;
      const only = new RegExp(process.env.INTERLEAVING_PLANS ?? '');
      for (const [label, plan] of plans.filter(([label]) => only.test(label))) {
        try {
          const t0 = Date.now();
          const r = await explore(plan);
          runs += r.runs;
          if (process.env.DEBUG_PLANS) console.log(label, r, Date.now() - t0);
        } catch (error) {
          (error as Error).message = `${label}: ${(error as Error).message}`;
          throw error;
        }
      }
      console.log(`[interleavings] ${plans.length} plans, ${runs} orderings run`);
    }, 600_000);
  });
});
