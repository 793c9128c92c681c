import { getModelToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Types, type Model } from 'mongoose';
import type { AuthenticatedUser } from '../../src/auth/authenticated-user';
import { ApiError } from '../../src/common/errors/api-error';
import { DatabaseSteps } from '../../src/database/database-steps';
import { PurchaseReconciler } from '../../src/purchases/purchase-reconciler';
import { PurchasesService } from '../../src/purchases/purchases.service';
import type { Purchase } from '../../src/purchases/schemas/purchase.schema';
import { SaleLifecycleService } from '../../src/sales/sale-lifecycle.service';
import { SaleSnapshotCache } from '../../src/sales/sale-snapshot.cache';
import type { Sale } from '../../src/sales/schemas/sale.schema';
import type { Interleaver } from './interleaver';
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

  private constructor(readonly app: NestFastifyApplication) {
    this.sales = app.get(getModelToken('Sale'));
    this.purchases = app.get(getModelToken('Purchase'));
    this.steps = app.get(DatabaseSteps);
    this.service = app.get(PurchasesService);
    this.reconciler = app.get(PurchaseReconciler);
    this.lifecycle = app.get(SaleLifecycleService);
  }

  static async open(): Promise<LedgerLab> {
    const app = await createTestApp(uniqueDatabaseName(), {
      MONGO_TRANSACTIONS: 'off', // the algorithm with steps to interleave, on any engine
      RECONCILE_INTERVAL_MS: '3600000',
      SALE_CACHE_TTL_MS: '10000',
    });
    void app.get(SchedulerRegistry).getCronJob('sale-status').stop();
    return new LedgerLab(app);
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

  /** At the next quiet moment (crashed attempts abandoned, reconciler run): the ledger balances. */
  async expectBalancedWhenQuiet(
    saleId: Types.ObjectId,
    il: Interleaver,
    users: Record<string, AuthenticatedUser>,
  ) {
    await this.reconciler.reconcile(farFuture());
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

  async cleanUp(saleId: Types.ObjectId, il: Interleaver) {
    await il.abandon();
    this.steps.install(null);
    await this.purchases.deleteMany({ saleId }).exec();
    await this.sales.deleteOne({ _id: saleId }).exec();
  }
}
