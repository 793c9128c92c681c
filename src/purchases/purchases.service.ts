import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { Page, PaginationQueryDto } from '../common/dto/pagination-query.dto';
import { ApiError, notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { isDuplicateKeyError } from '../common/errors/mongo-errors';
import { TransactionRunner } from '../database/transaction-runner';
import { purchaseBlock } from '../sales/sale-state';
import { SaleSnapshotCache } from '../sales/sale-snapshot.cache';
import { SaleStockService } from '../sales/sale-stock.service';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { MyPurchaseDto, PurchaseDto } from './dto/purchase.dto';
import {
  alreadyPurchased,
  blockedPurchase,
  purchaseNotCompleted,
  quantityLimitExceeded,
} from './purchase-errors';
import { PurchaseRecordsService, type NewPurchase } from './purchase-records.service';
import type { StoredPurchase } from './schemas/purchase.schema';

const MY_PURCHASES_LIMIT = 1_000;
/** Stock given back between our failed take and our re-read is retried a few times, not forever. */
const MAX_TAKE_ATTEMPTS = 3;

function toPurchaseDto(purchase: StoredPurchase): PurchaseDto {
  return {
    id: purchase._id.toHexString(),
    saleId: purchase.saleId.toHexString(),
    username: purchase.username,
    quantity: purchase.quantity,
    purchasedAt: purchase.purchasedAt ?? purchase.attemptedAt,
  };
}

/**
 * The purchase path. The database is the only judge of an accepted purchase; the in-process snapshot
 * only answers attempts that are certain to fail. docs/purchase-algorithm.md explains each step.
 */
@Injectable()
export class PurchasesService {
  constructor(
    private readonly records: PurchaseRecordsService,
    private readonly stock: SaleStockService,
    private readonly snapshots: SaleSnapshotCache,
    private readonly transactions: TransactionRunner,
  ) {}

  async purchase(user: AuthenticatedUser, saleId: string, quantity = 1): Promise<PurchaseDto> {
    const now = new Date();
    const sale = await this.snapshots.get(saleId);
    if (!sale) throw notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
    if (quantity > sale.maxPerUser) throw quantityLimitExceeded(sale.maxPerUser);
    const block = purchaseBlock(sale, now, quantity);
    if (block) throw blockedPurchase(block, sale);

    const purchase: NewPurchase = {
      saleId: sale._id,
      userId: new Types.ObjectId(user.id),
      username: user.username,
      saleName: sale.name,
      productName: sale.product.name,
      quantity,
    };
    try {
      return this.transactions.enabled
        ? await this.purchaseInTransaction(purchase, now)
        : await this.purchaseWithCompensation(purchase, now);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw await this.duplicateOf(purchase);
      throw error;
    }
  }

  /**
   * Paged like every other list. A buyer has at most one purchase per sale, so the list is read whole
   * (newest first, up to MY_PURCHASES_LIMIT) and paged here; paging in the database needs a skip and a
   * count in PurchaseRecordsService.
   */
  async myPurchases(userId: string, query: PaginationQueryDto): Promise<Page<MyPurchaseDto>> {
    const purchases = await this.records.listConfirmedForUser(
      new Types.ObjectId(userId),
      MY_PURCHASES_LIMIT,
    );
    return {
      items: purchases.slice(query.skip, query.skip + query.limit).map((purchase) => ({
        ...toPurchaseDto(purchase),
        saleName: purchase.saleName,
        productName: purchase.productName,
      })),
      total: purchases.length,
      page: query.page,
      limit: query.limit,
    };
  }

  /**
   * Replica set / mongos: the record and the decrement commit together. The sale is read inside the
   * snapshot so the purchase can carry its place in line, and the hot sale document is written last.
   */
  private async purchaseInTransaction(purchase: NewPurchase, now: Date): Promise<PurchaseDto> {
    const { record, taken } = await this.transactions.run(async (session) => {
      const sale = await this.stock.findById(purchase.saleId, session);
      if (!sale) throw notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
      const block = purchaseBlock(sale, now, purchase.quantity);
      if (block) {
        this.snapshots.remember(sale); // a committed state: later doomed attempts stay in memory
        throw blockedPurchase(block, sale);
      }
      const seq = sale.acceptedSeq + 1;
      const inserted = await this.records.insertConfirmed(purchase, seq, now, session);
      const after = await this.stock.takeUnits(sale._id, purchase.quantity, now, session);
      // Snapshot isolation makes any concurrent change a write conflict (retried by the driver), so
      // the guarded write can only miss, or hand out another place, if that guarantee were broken.
      if (!after || after.acceptedSeq !== seq) throw new Error('sale changed inside a transaction');
      return { record: inserted, taken: after };
    });
    this.rememberIfSoldOut(taken); // only once committed
    return toPurchaseDto(record);
  }

  /**
   * Standalone: reserve the (sale, user) slot, take the units, confirm. A failure after the slot is
   * reserved undoes what this attempt did; a crash leaves a pending record for the reconciler.
   */
  private async purchaseWithCompensation(purchase: NewPurchase, now: Date): Promise<PurchaseDto> {
    const pending = await this.records.insertPending(purchase, now);
    const taken = await this.takeOrRelease(pending, now);
    const purchasedAt = new Date();
    let confirmed: boolean;
    try {
      confirmed = await this.records.confirm(pending._id, taken.acceptedSeq, purchasedAt);
    } catch {
      return this.settleUncertainConfirm(pending);
    }
    // Not confirmed: the reconciler judged the attempt abandoned and already recounted without it.
    if (!confirmed) throw purchaseNotCompleted();
    this.rememberIfSoldOut(taken);
    return toPurchaseDto({ ...pending, state: 'confirmed', seq: taken.acceptedSeq, purchasedAt });
  }

  /**
   * Takes the units, or undoes the reservation when the database cleanly said no. When the take itself
   * failed we cannot know whether units moved, so the pending record stays for the reconciler.
   */
  private async takeOrRelease(pending: StoredPurchase, now: Date): Promise<StoredSale> {
    const outcome = await this.takeUnitsOrExplain(pending, now);
    if (outcome instanceof ApiError) {
      await this.records.deletePending(pending._id).catch(() => undefined);
      throw outcome;
    }
    return outcome;
  }

  private async takeUnitsOrExplain(
    pending: StoredPurchase,
    now: Date,
  ): Promise<StoredSale | ApiError> {
    for (let attempt = 1; ; attempt += 1) {
      const taken = await this.stock.takeUnits(pending.saleId, pending.quantity, now);
      if (taken) return taken;
      const fresh = await this.stock.findById(pending.saleId);
      if (!fresh) return notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
      this.snapshots.remember(fresh);
      const block = purchaseBlock(fresh, now, pending.quantity);
      if (block) return blockedPurchase(block, fresh);
      if (attempt >= MAX_TAKE_ATTEMPTS) return blockedPurchase('SOLD_OUT', fresh);
    }
  }

  /** The confirm's outcome is unknown (e.g. the connection dropped): find out who owns the attempt. */
  private async settleUncertainConfirm(pending: StoredPurchase): Promise<PurchaseDto> {
    try {
      if (await this.records.deletePending(pending._id)) {
        await this.giveBack(pending);
        throw purchaseNotCompleted();
      }
      const current = await this.records.findById(pending._id);
      if (current?.state === 'confirmed') return toPurchaseDto(current);
    } catch {
      // Unreachable database: the pending record stays and the reconciler repairs the counters.
    }
    throw purchaseNotCompleted();
  }

  /** We own the attempt (we deleted its record): give its units back, or leave a recount to do it. */
  private async giveBack(pending: StoredPurchase): Promise<void> {
    try {
      await this.stock.returnUnits(pending.saleId, pending.quantity);
    } catch {
      await this.stock.markNeedsReconcile([pending.saleId]).catch(() => undefined);
    }
  }

  private rememberIfSoldOut(sale: StoredSale): void {
    if (sale.remainingQuantity === 0) this.snapshots.remember(sale);
  }

  private async duplicateOf(purchase: NewPurchase) {
    const existing = await this.records.findBySaleAndUser(purchase.saleId, purchase.userId);
    return alreadyPurchased(
      existing?.state === 'confirmed' ? toPurchaseDto(existing) : { inProgress: true },
    );
  }
}
