import { Injectable } from '@nestjs/common';
import { Types, type ClientSession } from 'mongoose';
import { AdmissionGate } from '../admission/admission-gate';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { Page, PaginationQueryDto } from '../common/dto/pagination-query.dto';
import { ApiError, notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { isDuplicateKeyError } from '../common/errors/mongo-errors';
import { TransactionGaveUp, TransactionRunner } from '../database/transaction-runner';
import { SaleEvents } from '../sales/events/sale-events';
import { purchaseBlock, type PurchaseBlock } from '../sales/sale-state';
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
import { toPurchaseDto } from './purchase.mapper';
import { PurchaseRecordsService, type NewPurchase } from './purchase-records.service';
import { SaleBuyersIndex, type EarlierAttempt } from './sale-buyers.index';
import type { StoredPurchase } from './schemas/purchase.schema';

/** A value now, or a promise of it when it takes a database read. */
export type MaybeLater<T> = T | Promise<T>;

/** The refusal an attempt is certain to get, or the sale when only the database can judge. */
export type Verdict = StoredSale | ApiError;

const MY_PURCHASES_LIMIT = 1_000;
/** A take refused for no reason the sale shows is retried a few times, not forever. */
const MAX_TAKE_ATTEMPTS = 3;

const laterOf = (a: Date | null, b: Date): Date => (a && a > b ? a : b);

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
    private readonly buyers: SaleBuyersIndex,
    private readonly events: SaleEvents,
    private readonly gate: AdmissionGate,
  ) {}

  /** `clientGone`: aborted when the buyer disconnects; then nothing of the attempt reaches the database. */
  async purchase(
    user: AuthenticatedUser,
    saleId: string,
    quantity: number,
    clientGone?: AbortSignal,
  ): Promise<PurchaseDto> {
    const sale = await this.judgeFromMemory(user, saleId, quantity);
    if (sale instanceof ApiError) throw sale;
    // One rule for both paths (the fast lane hands every attempt it cannot refuse to this method).
    const recheck = () => this.judgeFromMemory(user, saleId, quantity);
    return this.gate.run({ saleId: sale._id.toHexString(), quantity, recheck, clientGone }, () =>
      this.buy(user, sale, quantity),
    );
  }

  /** The database work of an admitted attempt. */
  private async buy(user: AuthenticatedUser, sale: StoredSale, quantity: number) {
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
        ? await this.purchaseInTransaction(purchase)
        : await this.purchaseWithCompensation(purchase);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw await this.duplicateOf(purchase);
      throw error;
    }
  }

  /**
   * What memory alone tells about an attempt: the refusal it is certain to get (unknown sale, too many
   * units, not open, already bought), or the sale when only the database can judge. The ordinary path
   * and the fast lane (PurchaseFastLane) both ask this, so a refusal has one rule wherever it is answered.
   * When memory holds the sale and its buyers the verdict comes back at once, not as a promise: nearly
   * every attempt in a flash sale is judged so, and a promise per step costs them throughput.
   */
  judgeFromMemory(user: AuthenticatedUser, saleId: string, quantity: number): MaybeLater<Verdict> {
    const sale = this.snapshots.known(saleId);
    return sale === undefined
      ? this.snapshots.get(saleId).then((read) => this.judge(user, read, quantity))
      : this.judge(user, sale, quantity);
  }

  private judge(
    user: AuthenticatedUser,
    sale: StoredSale | null,
    quantity: number,
  ): MaybeLater<Verdict> {
    if (!sale) return notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
    if (quantity > sale.maxPerUser) return quantityLimitExceeded(sale.maxPerUser);
    const block = purchaseBlock(sale, new Date(), quantity);
    return block ? this.refusal(block, sale, user.id) : sale;
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
   * Replica set / mongos: the record and the take commit together. The sale is read inside the snapshot
   * so the record can carry its place in line and time, and the hot sale document is written last.
   * Each retry judges "open" at its own time, not at the request's arrival.
   */
  private async purchaseInTransaction(purchase: NewPurchase): Promise<PurchaseDto> {
    let outcome: { record: StoredPurchase; taken: StoredSale };
    try {
      outcome = await this.transactions.run((session) => this.buyInSnapshot(purchase, session));
    } catch (error) {
      if (!(error instanceof TransactionGaveUp)) throw error;
      return this.settleGaveUpTransaction(purchase, error);
    }
    this.accepted(outcome.taken); // only once committed
    return toPurchaseDto(outcome.record);
  }

  private async buyInSnapshot(purchase: NewPurchase, session: ClientSession) {
    const now = new Date();
    const sale = await this.stock.findById(purchase.saleId, session);
    if (!sale) throw notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
    const block = purchaseBlock(sale, now, purchase.quantity);
    if (block) {
      this.snapshots.remember(sale); // a committed state: later doomed attempts stay in memory
      throw await this.refusal(block, sale, purchase.userId.toHexString());
    }
    // What the take below will hand out: snapshot isolation turns any concurrent change of the sale
    // into a write conflict (the whole transaction retries), so these cannot differ from the take's.
    const seq = sale.acceptedSeq + 1;
    const purchasedAt = laterOf(sale.lastAcceptedAt, now);
    const record = await this.records.insertConfirmed(
      purchase,
      seq,
      { attempted: now, purchased: purchasedAt },
      session,
    );
    const taken = await this.stock.takeUnits(sale._id, purchase.quantity, purchasedAt, session);
    if (taken?.acceptedSeq !== seq || taken.lastAcceptedAt?.getTime() !== purchasedAt.getTime()) {
      throw new Error('the sale changed inside a transaction');
    }
    return { record, taken };
  }

  /** Contention outlasted the retry budget. If the last commit's outcome is unknown, look. */
  private async settleGaveUpTransaction(
    purchase: NewPurchase,
    error: TransactionGaveUp,
  ): Promise<PurchaseDto> {
    if (error.outcome === 'unknown') {
      const record = await this.records.findBySaleAndUser(purchase.saleId, purchase.userId);
      if (record?.state === 'confirmed') return toPurchaseDto(record);
    }
    throw purchaseNotCompleted();
  }

  /**
   * Standalone: reserve the (sale, user) slot, take the units, confirm. Units never come back from here:
   * an attempt that took units and then failed only lets go of its record, and the reconciler's guarded
   * recount returns the units once no attempt is in flight (docs/purchase-algorithm.md).
   */
  private async purchaseWithCompensation(purchase: NewPurchase): Promise<PurchaseDto> {
    const pending = await this.records.insertPending(purchase, new Date());
    const taken = await this.takeOrLetGo(pending);
    let confirmed: boolean;
    try {
      confirmed = await this.records.confirm(pending._id, taken.acceptedSeq, taken.lastAcceptedAt!);
    } catch {
      return this.settleUncertainConfirm(pending);
    }
    // Not confirmed: the reconciler judged the attempt abandoned; its recount returns the units.
    if (!confirmed) throw purchaseNotCompleted();
    this.accepted(taken);
    return toPurchaseDto({
      ...pending,
      state: 'confirmed',
      seq: taken.acceptedSeq,
      purchasedAt: taken.lastAcceptedAt,
    });
  }

  /**
   * Takes the units. When the database said no, or the take's outcome is unknown, lets go of the
   * reservation (if units did move, the recount returns them) and answers why.
   */
  private async takeOrLetGo(pending: StoredPurchase): Promise<StoredSale> {
    let outcome: StoredSale | ApiError;
    try {
      outcome = await this.takeUnitsOrExplain(pending);
    } catch (error) {
      await this.letGo(pending);
      throw error;
    }
    if (outcome instanceof ApiError) {
      await this.letGo(pending);
      throw outcome;
    }
    return outcome;
  }

  /**
   * The take, and on a refusal the reason read back from the sale. A refusal that the sale does not
   * explain (stock recounted back in between) takes again, a few times at most.
   */
  private async takeUnitsOrExplain(pending: StoredPurchase): Promise<StoredSale | ApiError> {
    for (let attempt = 1; ; attempt += 1) {
      const now = new Date();
      const taken = await this.stock.takeUnits(pending.saleId, pending.quantity, now);
      if (taken) return taken;
      const fresh = await this.stock.findById(pending.saleId);
      if (!fresh) return notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
      this.snapshots.remember(fresh);
      const block = purchaseBlock(fresh, now, pending.quantity);
      if (block) return blockedPurchase(block, fresh);
      if (attempt >= MAX_TAKE_ATTEMPTS) return purchaseNotCompleted();
    }
  }

  /** The confirm's outcome is unknown (e.g. the connection dropped): did it land? */
  private async settleUncertainConfirm(pending: StoredPurchase): Promise<PurchaseDto> {
    try {
      if (await this.records.deletePending(pending._id)) throw purchaseNotCompleted();
      const current = await this.records.findById(pending._id);
      if (current?.state === 'confirmed') return toPurchaseDto(current);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      // Unreachable database: the reconciler abandons the record and the recount settles the units.
    }
    throw purchaseNotCompleted();
  }

  /** Best effort: a record left behind is abandoned by the reconciler after the pending timeout. */
  private async letGo(pending: StoredPurchase): Promise<void> {
    await this.records.deletePending(pending._id).catch(() => undefined);
  }

  /**
   * A sale that refuses this attempt: a buyer who already bought in it hears ALREADY_PURCHASED (their
   * purchase), not why others are refused. Nobody has bought before the start.
   */
  private refusal(block: PurchaseBlock, sale: StoredSale, userId: string): MaybeLater<ApiError> {
    if (block === 'SALE_NOT_STARTED') return blockedPurchase(block, sale);
    const answer = (earlier: EarlierAttempt | null) =>
      earlier ? alreadyPurchased(earlier) : blockedPurchase(block, sale);
    const known = this.buyers.knownAttempt(sale, userId);
    return known === undefined
      ? this.buyers.earlierAttempt(sale, userId).then(answer)
      : answer(known);
  }

  /**
   * After commit or confirm: the purchase is final, so every instance and live stream may hear of it.
   * The one that sold out is `sold_out`: this instance refuses from memory at once, the others drop
   * their view and read the sold-out sale once.
   */
  private accepted(sale: StoredSale): void {
    const soldOut = sale.remainingQuantity === 0;
    if (soldOut) this.snapshots.remember(sale);
    this.events.publish({
      saleId: sale._id.toHexString(),
      kind: soldOut ? 'sold_out' : 'purchase',
    });
  }

  private async duplicateOf(purchase: NewPurchase) {
    const existing = await this.records.findBySaleAndUser(purchase.saleId, purchase.userId);
    return alreadyPurchased(
      existing?.state === 'confirmed' ? toPurchaseDto(existing) : { inProgress: true },
    );
  }
}
