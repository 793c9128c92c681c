import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types, type ClientSession } from 'mongoose';
import { AdmissionGate } from '../admission/admission-gate';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { Page, PaginationQueryDto } from '../common/dto/pagination-query.dto';
import { ApiError, notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { isDuplicateKeyError } from '../common/errors/mongo-errors';
import type { EnvironmentVariables } from '../config/env.validation';
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
  purchaseInProgress,
  purchaseNotCompleted,
  purchaseOutcomeUnknown,
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
/** Reads of an outcome the database did not tell (a lost reply) before answering that it is unknown. */
const OUTCOME_LOOKUPS = 3;
/** A pending record younger than this most likely belongs to an attempt still running (a double click). */
const IN_FLIGHT_GRACE_MS = 2_000;

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
    private readonly config: ConfigService<EnvironmentVariables, true>,
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
    if (error.outcome === 'aborted') throw purchaseNotCompleted();
    const record = await this.lookUp(() =>
      this.records.findBySaleAndUser(purchase.saleId, purchase.userId),
    );
    if (record?.state === 'confirmed') return toPurchaseDto(record);
    throw purchaseNotCompleted(); // committed together or not at all: no record, nothing kept
  }

  /**
   * Standalone: reserve the (sale, user) slot, take the units, confirm. Units never come back from here:
   * an attempt that took units and then failed only lets go of its record, and the reconciler's guarded
   * recount returns the units once no attempt is in flight (docs/purchase-algorithm.md).
   */
  private async purchaseWithCompensation(purchase: NewPurchase): Promise<PurchaseDto> {
    const pending = await this.reserve(purchase);
    const taken = await this.takeOrLetGo(pending);
    let confirmed: boolean;
    try {
      confirmed = await this.records.confirm(pending._id, taken.acceptedSeq, taken.lastAcceptedAt!);
    } catch {
      return this.settleUncertainConfirm(pending, taken);
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
   * Inserts the pending record under an id chosen here, so that when the insert's reply is lost the
   * attempt can let go of a record that may have landed: otherwise its owner's retries would meet an
   * unsettled attempt until the reconciler abandons it (PURCHASE_PENDING_TIMEOUT_MS and a tick later).
   * Nothing was taken yet, so once let go nothing is kept; if even that fails, the error stands (503).
   */
  private async reserve(purchase: NewPurchase): Promise<StoredPurchase> {
    const id = new Types.ObjectId();
    try {
      return await this.records.insertPending(id, purchase, new Date());
    } catch (error) {
      if (isDuplicateKeyError(error)) throw error;
      const letGo = await this.records.deletePending(id).then(
        () => true,
        () => false,
      );
      throw letGo ? purchaseNotCompleted() : error;
    }
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

  /**
   * The confirm's outcome is unknown (e.g. the connection dropped): did it land? Letting go of the
   * record decides it when it is still pending (nothing kept); else the record says (confirmed: the
   * purchase; gone: the reconciler abandoned it, nothing kept). Looked up a few times; when the
   * database still does not tell, the answer says exactly that, and a retry answers the purchase if
   * it exists. Never "nothing was kept" on a guess: a confirmed record is final.
   */
  private async settleUncertainConfirm(
    pending: StoredPurchase,
    taken: StoredSale,
  ): Promise<PurchaseDto> {
    const current = await this.lookUp(async () => {
      if (await this.records.deletePending(pending._id)) return null;
      const record = await this.records.findById(pending._id);
      // Still pending although the delete matched nothing: only a race; look again.
      if (record?.state === 'pending') throw new Error('the record is still pending');
      return record;
    });
    if (!current) throw purchaseNotCompleted();
    this.accepted(taken);
    return toPurchaseDto(current);
  }

  /** A read of an outcome, tried a few times; PURCHASE_OUTCOME_UNKNOWN when it never answers. */
  private async lookUp<T>(read: () => Promise<T>): Promise<T> {
    for (let lookup = 1; ; lookup += 1) {
      try {
        return await read();
      } catch {
        if (lookup >= OUTCOME_LOOKUPS) throw purchaseOutcomeUnknown();
      }
    }
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
      earlier ? this.earlierAnswer(earlier) : blockedPurchase(block, sale);
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
      revision: sale.stockRevision,
    });
  }

  /** The reservation hit the buyer's earlier attempt: what that attempt is now. */
  private async duplicateOf(purchase: NewPurchase): Promise<ApiError> {
    const existing = await this.lookUp(() =>
      this.records.findBySaleAndUser(purchase.saleId, purchase.userId),
    );
    if (existing?.state === 'confirmed') return alreadyPurchased(toPurchaseDto(existing));
    // Gone since the insert met it: it was just let go, and a retry at once starts afresh.
    if (!existing) return purchaseInProgress(new Date(), 1);
    return this.earlierAnswer({ inProgress: true, attemptedAt: existing.attemptedAt });
  }

  /**
   * A buyer's earlier attempt: the purchase, or that it is not settled yet, with when to retry. A young
   * record's attempt is most likely still running and answers in a moment; an older one's attempt died
   * (a crash, a lost reply) and the reconciler settles it by the pending timeout and one more tick.
   */
  private earlierAnswer(earlier: EarlierAttempt): ApiError {
    if (!('inProgress' in earlier)) return alreadyPurchased(earlier);
    const now = Date.now();
    const started = earlier.attemptedAt.getTime();
    const settledBy = new Date(
      started +
        this.config.get('PURCHASE_PENDING_TIMEOUT_MS', { infer: true }) +
        this.config.get('RECONCILE_INTERVAL_MS', { infer: true }),
    );
    const seconds = now - started < IN_FLIGHT_GRACE_MS ? 1 : (settledBy.getTime() - now) / 1_000;
    return purchaseInProgress(settledBy, seconds);
  }
}
