import { getModelToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Types, type Model } from 'mongoose';
import type { AuthenticatedUser } from '../../src/auth/authenticated-user';
import { ApiError } from '../../src/common/errors/api-error';
import { toErrorBody } from '../../src/common/filters/error-mapping';
import { DatabaseSteps } from '../../src/database/database-steps';
import { TransactionGaveUp, TransactionRunner } from '../../src/database/transaction-runner';
import { PurchaseReconciler } from '../../src/purchases/purchase-reconciler';
import { PurchasesService } from '../../src/purchases/purchases.service';
import type { Purchase } from '../../src/purchases/schemas/purchase.schema';
import { SaleLifecycleService } from '../../src/sales/sale-lifecycle.service';
import { purchaseBlock } from '../../src/sales/sale-state';
import { SaleSnapshotCache } from '../../src/sales/sale-snapshot.cache';
import type { Sale } from '../../src/sales/schemas/sale.schema';
import { InjectedNetworkError, untraced, type Interleaver } from './interleaver';
import { createTestApp, uniqueDatabaseName } from './test-app';

/** A pending record this old counts as abandoned by any reconciler tick. */
export const farFuture = () => new Date(Date.now() + 3_600_000);

export const buyer = (name: string): AuthenticatedUser => ({
  id: new Types.ObjectId().toHexString(),
  username: name,
  role: 'user',
  tokenExpiresAt: Date.now() + 3_600_000,
});

/**
 * One app on its own database, with no background job running (the tests run every reconciler tick and
 * scheduler sweep themselves), and the ledger checks the interleaving tests make on it.
 */
export class LedgerLab {
  readonly sales: Model<Sale>;
  readonly purchases: Model<Purchase>;
  readonly steps: DatabaseSteps;
  readonly service: PurchasesService;
  readonly reconciler: PurchaseReconciler;
  readonly lifecycle: SaleLifecycleService;
  readonly snapshots: SaleSnapshotCache;

  private constructor(readonly app: NestFastifyApplication) {
    this.sales = app.get(getModelToken('Sale'));
    this.purchases = app.get(getModelToken('Purchase'));
    this.steps = app.get(DatabaseSteps);
    this.service = app.get(PurchasesService);
    this.reconciler = app.get(PurchaseReconciler);
    this.lifecycle = app.get(SaleLifecycleService);
    this.snapshots = app.get(SaleSnapshotCache);
  }

  /**
   * With `transactions`, the purchase path runs its transaction branch on a model of a transaction:
   * the work runs as one step of its actor (snapshot isolation serialises transactions that write the
   * same sale, which every purchase does), and a throw rolls back everything it wrote. An injected
   * failure of that step is what the real runner reports: before it, nothing committed ('aborted');
   * its reply lost, committed but unknown ('unknown').
   */
  static async open({ transactions = false } = {}): Promise<LedgerLab> {
    const app = await createTestApp(uniqueDatabaseName(), {
      MONGO_TRANSACTIONS: 'off', // the algorithm with steps to interleave, on any engine
      RECONCILE_INTERVAL_MS: '3600000',
      SALE_CACHE_TTL_MS: '10000',
    });
    void app.get(SchedulerRegistry).getCronJob('sale-status').stop();
    const lab = new LedgerLab(app);
    if (transactions) lab.modelTransactions();
    return lab;
  }

  private modelTransactions(): void {
    const runner = this.app.get(TransactionRunner);
    Object.defineProperty(runner, 'enabled', { value: true });
    runner.run = async <T>(work: (session: never) => Promise<T>): Promise<T> => {
      try {
        return await this.steps.run('transaction', () =>
          untraced(() => this.atomically(() => work(undefined as never))),
        );
      } catch (error) {
        if (!(error instanceof InjectedNetworkError)) throw error;
        throw new TransactionGaveUp(error.phase === 'before' ? 'aborted' : 'unknown', error);
      }
    };
  }

  /** Runs work that either commits whole or leaves nothing: on a throw, the lab's sales and purchases are put back. */
  private async atomically<T>(work: () => Promise<T>): Promise<T> {
    const sales = await this.sales.find().lean().exec();
    const purchases = await this.purchases.find({}, { _id: 1 }).lean().exec();
    try {
      return await work();
    } catch (error) {
      for (const sale of sales) await this.sales.replaceOne({ _id: sale._id }, sale).exec();
      const kept = purchases.map((p) => p._id);
      await this.purchases.deleteMany({ _id: { $nin: kept } }).exec();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.steps.install(null);
    await this.app.close();
  }

  async openSale(totalQuantity: number): Promise<Types.ObjectId> {
    const [sale] = await this.sales.insertMany([
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
    this.app.get(SaleSnapshotCache).remember(sale.toObject());
    return sale._id;
  }

  async ledger(saleId: Types.ObjectId) {
    const sale = (await this.sales.findById(saleId).lean().exec())!;
    const records = await this.purchases.find({ saleId }).lean().exec();
    const confirmed = records.filter((r) => r.state === 'confirmed');
    const units = confirmed.reduce((sum, r) => sum + r.quantity, 0);
    return { sale, records, confirmed, units };
  }

  /**
   * At every moment: no unit can be sold twice. Units held by an attempt that took them and may still
   * confirm count as sold, so `remaining + confirmed + held <= total`.
   */
  async expectNoUnitSellableTwice(
    saleId: Types.ObjectId,
    il: Interleaver,
    quantities: Record<string, number>,
    users: Record<string, AuthenticatedUser>,
  ) {
    const { sale, records, units } = await this.ledger(saleId);
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

  /**
   * At the next quiet moment (crashed attempts abandoned, reconciler run): the ledger balances, every
   * answer was true, and a buyer told to retry (a 503, an unsettled attempt) who retries now hears the
   * purchase if it exists. `users` maps each attempt (actor) to its buyer; a double click is two actors
   * of one buyer.
   */
  async expectBalancedWhenQuiet(
    saleId: Types.ObjectId,
    il: Interleaver,
    users: Record<string, AuthenticatedUser>,
    quantities: Record<string, number> = {},
  ) {
    await this.reconciler.reconcile(farFuture());
    const balance = await this.expectBalanced(saleId);
    this.expectAnswersTrue(il, users, balance.confirmed);
    await this.expectRetriesAnswered(saleId, il, users, quantities);
    return balance;
  }

  private async expectBalanced(saleId: Types.ObjectId) {
    const balance = await this.ledger(saleId);
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
    return balance;
  }

  /**
   * What each attempt was told is what the ledger says: a 201 or ALREADY_PURCHASED names the buyer's
   * purchase; an answer that says nothing was kept leaves the buyer without one (unless another
   * attempt of the same buyer may have bought); an unknown outcome or an unsettled attempt says
   * nothing either way; anything that would be a 500 fails.
   */
  private expectAnswersTrue(
    il: Interleaver,
    users: Record<string, AuthenticatedUser>,
    confirmed: Array<{ _id: unknown; userId: unknown }>,
  ) {
    const answers = Object.fromEntries(
      Object.keys(users).map((actor) => [actor, answerOf(il, actor)]),
    );
    for (const [actor, user] of Object.entries(users)) {
      const answer = answers[actor];
      if (!answer) continue; // crashed: it never answered
      const mine = confirmed.find((r) => String(r.userId) === user.id);
      const label = `${actor} answered ${answer.code ?? 201}`;
      expect({
        label,
        serverError: answer.status >= 500 && answer.code === 'INTERNAL_ERROR',
      }).toEqual({ label, serverError: false });
      if (answer.purchaseId !== undefined) {
        expect({ label, purchase: String(mine?._id) }).toEqual({
          label,
          purchase: answer.purchaseId,
        });
      } else if (NOTHING_KEPT.has(answer.code!)) {
        const siblings = Object.keys(users).filter((a) => a !== actor && users[a] === user);
        const siblingMayHaveBought = siblings.some(
          (s) => !answers[s] || !NOTHING_KEPT.has(answers[s].code!),
        );
        if (!siblingMayHaveBought)
          expect({ label, purchase: mine }).toEqual({ label, purchase: undefined });
      }
    }
  }

  /** Every buyer told to retry retries once now (no probe): the purchase if it exists, never 5xx or "in progress". */
  private async expectRetriesAnswered(
    saleId: Types.ObjectId,
    il: Interleaver,
    users: Record<string, AuthenticatedUser>,
    quantities: Record<string, number>,
  ) {
    const toldToRetry = new Map<AuthenticatedUser, string>();
    for (const [actor, user] of Object.entries(users)) {
      const answer = answerOf(il, actor);
      if (answer && (answer.status >= 500 || answer.code === 'PURCHASE_IN_PROGRESS')) {
        toldToRetry.set(user, actor);
      }
    }
    if (toldToRetry.size === 0) return;
    for (const [user, actor] of toldToRetry) {
      const { confirmed } = await this.ledger(saleId);
      const mine = confirmed.find((r) => String(r.userId) === user.id);
      const retry = await this.service
        .purchase(user, saleId.toHexString(), quantities[actor] ?? 1)
        .then(
          (value) => ({ status: 201, code: undefined, purchaseId: value.id }),
          (error: unknown) => describeError(error),
        );
      const label = `${actor}'s retry answered ${retry.code ?? 201}`;
      if (mine) {
        expect({ label, retry }).toMatchObject({
          label,
          retry: { code: 'ALREADY_PURCHASED', purchaseId: String(mine._id) },
        });
      } else {
        expect({ label, ok: retry.status === 201 || NOTHING_KEPT.has(retry.code!) }).toEqual({
          label,
          ok: true,
        });
      }
    }
    await this.reconciler.reconcile(farFuture());
    await this.expectBalanced(saleId);
  }

  /**
   * What memory would answer the next buyer on this instance is not a refusal the database no longer
   * gives: a view saying "sold out" or "too few left" while the database has a unit.
   */
  async expectMemoryNotStale(saleId: Types.ObjectId) {
    await new Promise((resolve) => setImmediate(resolve)); // events are delivered in a microtask
    const view = this.snapshots.known(saleId.toHexString());
    if (!view) return;
    const { sale } = await this.ledger(saleId);
    const now = new Date();
    const memory = purchaseBlock(view, now, 1);
    const database = purchaseBlock(sale, now, 1);
    if (memory === 'SOLD_OUT' || memory === 'INSUFFICIENT_STOCK') {
      expect({ memory, revision: view.stockRevision }).toEqual({
        memory: database,
        revision: view.stockRevision,
      });
    }
  }

  async cleanUp(saleId: Types.ObjectId, il: Interleaver) {
    await il.abandon();
    this.steps.install(null);
    await this.purchases.deleteMany({ saleId }).exec();
    await this.sales.deleteOne({ _id: saleId }).exec();
  }
}

/** Answers that say the attempt kept nothing. */
const NOTHING_KEPT = new Set([
  'PURCHASE_NOT_COMPLETED',
  'SOLD_OUT',
  'INSUFFICIENT_STOCK',
  'SALE_ENDED',
  'SALE_NOT_STARTED',
  'SALE_NOT_FOUND',
  'QUANTITY_LIMIT_EXCEEDED',
]);

interface Answer {
  status: number;
  code: string | undefined;
  /** The purchase a 201 or an ALREADY_PURCHASED names. */
  purchaseId?: string;
}

/** An error as the client would see it (the exception filter's mapping). */
function describeError(error: unknown): Answer {
  if (error instanceof ApiError && error.body.code === 'ALREADY_PURCHASED') {
    const details = error.body.details as { id: string };
    return { status: 409, code: 'ALREADY_PURCHASED', purchaseId: details.id };
  }
  const { body } = toErrorBody(error);
  return { status: body.statusCode, code: body.code };
}

function answerOf(il: Interleaver, actor: string): Answer | undefined {
  const outcome = il.settled.get(actor);
  if (!outcome) return undefined;
  if (outcome.ok) {
    return { status: 201, code: undefined, purchaseId: (outcome.value as { id: string }).id };
  }
  return describeError(outcome.error);
}
