import type { AdmissionGate } from '../admission/admission-gate';
import type { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import { ApiError } from '../common/errors/api-error';
import { TransactionGaveUp, type TransactionRunner } from '../database/transaction-runner';
import type { SaleSnapshotCache } from '../sales/sale-snapshot.cache';
import type { SaleStockService } from '../sales/sale-stock.service';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { PurchaseRecordsService } from './purchase-records.service';
import { PurchasesService } from './purchases.service';
import { SaleBuyersIndex } from './sale-buyers.index';
import type { StoredPurchase } from './schemas/purchase.schema';

const user = {
  id: new Types.ObjectId().toHexString(),
  username: 'alice',
  role: 'user' as const,
  tokenExpiresAt: Date.now() + 3_600_000,
};

function buildSale(overrides: Partial<StoredSale> = {}): StoredSale {
  return {
    _id: new Types.ObjectId(),
    name: 'Drop',
    productId: new Types.ObjectId(),
    product: { name: 'Shoe', priceCents: 100 },
    startTime: new Date(Date.now() - 60_000),
    endTime: null,
    totalQuantity: 10,
    remainingQuantity: 10,
    soldQuantity: 0,
    maxPerUser: 2,
    status: 'active',
    activatedAt: null,
    acceptedSeq: 0,
    stockRevision: 0,
    lastAcceptedAt: null,
    auditDue: false,
    createdAt: new Date(),
    ...overrides,
  };
}

const SETTINGS: Record<string, number> = {
  SALE_CACHE_TTL_MS: 1_000,
  PURCHASE_PENDING_TIMEOUT_MS: 30_000,
  RECONCILE_INTERVAL_MS: 5_000,
};
const config = { get: (key: string) => SETTINGS[key] } as unknown as ConfigService<
  EnvironmentVariables,
  true
>;

function setup(sale: StoredSale | null, { transactions = false } = {}) {
  const pending = { _id: new Types.ObjectId(), saleId: sale?._id, quantity: 1 } as StoredPurchase;
  const records = {
    insertPending: jest
      .fn()
      .mockImplementation((_id: Types.ObjectId, p: object, at: Date) =>
        Promise.resolve({ ...pending, _id, ...p, attemptedAt: at, state: 'pending' }),
      ),
    insertConfirmed: jest
      .fn()
      .mockImplementation((p: object, seq: number, at: { attempted: Date; purchased: Date }) =>
        Promise.resolve({
          ...pending,
          ...p,
          seq,
          attemptedAt: at.attempted,
          purchasedAt: at.purchased,
          state: 'confirmed',
        }),
      ),
    confirm: jest.fn().mockResolvedValue(true),
    deletePending: jest.fn().mockResolvedValue(true),
    findById: jest.fn().mockResolvedValue(null),
    findBySaleAndUser: jest.fn().mockResolvedValue(null),
  };
  const stock = {
    // What the database's take answers: the next place in line, stamped with the later clock.
    takeUnits: jest.fn().mockImplementation((_id: unknown, quantity: number, now: Date) =>
      Promise.resolve(
        sale && {
          ...sale,
          remainingQuantity: sale.remainingQuantity - quantity,
          acceptedSeq: sale.acceptedSeq + 1,
          stockRevision: sale.stockRevision + 1,
          lastAcceptedAt:
            sale.lastAcceptedAt && sale.lastAcceptedAt > now ? sale.lastAcceptedAt : now,
        },
      ),
    ),
    findById: jest.fn().mockResolvedValue(sale),
  };
  // known(): memory has nothing, so every judgement reads through get() unless a test says otherwise.
  const snapshots = {
    known: jest.fn().mockReturnValue(undefined),
    get: jest.fn().mockResolvedValue(sale),
    remember: jest.fn(),
  };
  const events = { publish: jest.fn(), subscribe: jest.fn() };
  const runner = {
    enabled: transactions,
    run: jest.fn().mockImplementation((work: (session: object) => Promise<unknown>) => work({})),
  };
  const service = new PurchasesService(
    records as unknown as PurchaseRecordsService,
    stock as unknown as SaleStockService,
    snapshots as unknown as SaleSnapshotCache,
    runner as unknown as TransactionRunner,
    new SaleBuyersIndex(records as unknown as PurchaseRecordsService, config),
    events,
    config,
    admitAtOnce,
  );
  return { service, records, stock, snapshots, runner, events };
}

/** The gate has its own spec (src/admission): here every attempt is admitted at once. */
const admitAtOnce = {
  run: (_attempt: unknown, work: () => Promise<unknown>) => work(),
} as unknown as AdmissionGate;

/** The confirmed purchase a write whose reply was lost had in fact left behind. */
const landed = (sale: StoredSale) => ({
  _id: new Types.ObjectId(),
  saleId: sale._id,
  username: 'alice',
  quantity: 1,
  state: 'confirmed',
  purchasedAt: new Date(),
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).body.code;
}

describe('PurchasesService', () => {
  describe('answered from the snapshot, with no write at all', () => {
    it.each([
      ['SALE_NOT_FOUND', null, 1],
      ['QUANTITY_LIMIT_EXCEEDED', buildSale({ maxPerUser: 2 }), 3],
      ['SALE_NOT_STARTED', buildSale({ startTime: new Date(Date.now() + 60_000) }), 1],
      ['SALE_ENDED', buildSale({ endTime: new Date(Date.now() - 1) }), 1],
      ['SOLD_OUT', buildSale({ remainingQuantity: 0 }), 1],
      ['INSUFFICIENT_STOCK', buildSale({ remainingQuantity: 1 }), 2],
    ])('%s', async (code, sale, quantity) => {
      const { service, records, stock } = setup(sale);
      expect(
        await codeOf(service.purchase(user, new Types.ObjectId().toHexString(), quantity)),
      ).toBe(code);
      expect(records.insertPending).not.toHaveBeenCalled();
      expect(stock.takeUnits).not.toHaveBeenCalled();
    });
  });

  describe("a buyer's own purchase wins over the refusal everyone else gets", () => {
    const attemptBy = (sale: StoredSale, state: 'confirmed' | 'pending', quantity = 1) => ({
      _id: new Types.ObjectId(),
      saleId: sale._id,
      userId: new Types.ObjectId(user.id),
      username: user.username,
      quantity,
      state,
      attemptedAt: new Date(1_000),
      purchasedAt: state === 'confirmed' ? new Date(2_000) : null,
    });
    /** The purchases collection as the point read by (saleId, userId) sees it. */
    const holding = (
      records: { findBySaleAndUser: jest.Mock },
      attempts: Array<ReturnType<typeof attemptBy>>,
    ) =>
      records.findBySaleAndUser.mockImplementation(
        (saleId: Types.ObjectId, userId: Types.ObjectId) =>
          Promise.resolve(
            attempts.find((a) => a.saleId.equals(saleId) && a.userId.equals(userId)) ?? null,
          ),
      );

    it.each([
      ['SOLD_OUT', buildSale({ remainingQuantity: 0, acceptedSeq: 10, soldQuantity: 10 }), 1],
      ['SALE_ENDED', buildSale({ endTime: new Date(Date.now() - 1), acceptedSeq: 3 }), 1],
      ['INSUFFICIENT_STOCK', buildSale({ remainingQuantity: 1, acceptedSeq: 9 }), 2],
    ])(
      '%s: the buyer hears ALREADY_PURCHASED with the purchase',
      async (_block, sale, quantity) => {
        const { service, records, stock } = setup(sale);
        const mine = attemptBy(sale, 'confirmed', 2);
        holding(records, [mine]);
        const error = await service
          .purchase(user, sale._id.toHexString(), quantity)
          .catch((e: unknown) => e);
        expect((error as ApiError).body).toMatchObject({
          code: 'ALREADY_PURCHASED',
          details: {
            id: mine._id.toHexString(),
            quantity: 2,
            purchasedAt: mine.purchasedAt,
          },
        });
        expect(records.insertPending).not.toHaveBeenCalled();
        expect(stock.takeUnits).not.toHaveBeenCalled();
      },
    );

    it("reads a buyer's record once per sale state: their later refused attempts cost no database command", async () => {
      const sale = buildSale({ remainingQuantity: 0, acceptedSeq: 10, soldQuantity: 10 });
      const { service, records, snapshots } = setup(sale);
      holding(records, [attemptBy(sale, 'confirmed')]);
      const other = { ...user, id: new Types.ObjectId().toHexString() };
      for (let i = 0; i < 5; i += 1) {
        expect(await codeOf(service.purchase(other, sale._id.toHexString(), 1))).toBe('SOLD_OUT');
        expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
          'ALREADY_PURCHASED',
        );
      }
      // One point read per buyer, whatever the number of attempts.
      expect(records.findBySaleAndUser).toHaveBeenCalledTimes(2);
      // Stock recounted back and taken again by someone else: a new state, read again.
      snapshots.get.mockResolvedValue({ ...sale, acceptedSeq: 11 });
      await codeOf(service.purchase(other, sale._id.toHexString(), 1));
      expect(records.findBySaleAndUser).toHaveBeenCalledTimes(3);
    });

    it('answers at once, without a promise, when memory holds the sale and its buyers', async () => {
      const sale = buildSale({ remainingQuantity: 0, acceptedSeq: 10, soldQuantity: 10 });
      const { service, records, snapshots } = setup(sale);
      holding(records, [attemptBy(sale, 'confirmed')]);
      const other = { ...user, id: new Types.ObjectId().toHexString() };
      const id = sale._id.toHexString();
      // First judgements: nothing in memory, so each reads (a promise).
      expect(service.judgeFromMemory(other, id, 1)).toBeInstanceOf(Promise);
      await service.judgeFromMemory(other, id, 1);
      await service.judgeFromMemory(user, id, 1);
      snapshots.known.mockReturnValue(sale);

      const refused = service.judgeFromMemory(other, id, 1);
      const mine = service.judgeFromMemory(user, id, 1);

      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).body.code).toBe('SOLD_OUT');
      expect((mine as ApiError).body.code).toBe('ALREADY_PURCHASED');
      expect(records.findBySaleAndUser).toHaveBeenCalledTimes(2);
      // The same state, judged through get(), gives the same answers.
      snapshots.known.mockReturnValue(undefined);
      expect(((await service.judgeFromMemory(other, id, 1)) as ApiError).body.code).toBe(
        'SOLD_OUT',
      );
    });

    it('an attempt still in flight answers PURCHASE_IN_PROGRESS, and the record is read again once the cache age passes', async () => {
      const sale = buildSale({ remainingQuantity: 0, acceptedSeq: 10, soldQuantity: 10 });
      const { service, records } = setup(sale);
      holding(records, [attemptBy(sale, 'pending')]);
      const now = jest.spyOn(Date, 'now');
      try {
        now.mockReturnValue(50_000);
        const first = await service
          .purchase(user, sale._id.toHexString(), 1)
          .catch((e: unknown) => e);
        expect((first as ApiError).body).toMatchObject({
          code: 'PURCHASE_IN_PROGRESS',
          details: { inProgress: true },
        });
        await codeOf(service.purchase(user, sale._id.toHexString(), 1));
        expect(records.findBySaleAndUser).toHaveBeenCalledTimes(1);
        now.mockReturnValue(51_001); // past SALE_CACHE_TTL_MS: the attempt was let go meanwhile
        holding(records, []);
        expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe('SOLD_OUT');
        expect(records.findBySaleAndUser).toHaveBeenCalledTimes(2);
      } finally {
        now.mockRestore();
      }
    });

    it('before the start nobody has bought: SALE_NOT_STARTED without reading buyers', async () => {
      const sale = buildSale({ startTime: new Date(Date.now() + 60_000) });
      const { service, records } = setup(sale);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'SALE_NOT_STARTED',
      );
      expect(records.findBySaleAndUser).not.toHaveBeenCalled();
    });

    it('with transactions, the in-transaction refusal answers the buyer the same way', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale, { transactions: true });
      const soldOut = { ...sale, remainingQuantity: 0, acceptedSeq: 10, soldQuantity: 10 };
      stock.findById.mockResolvedValue(soldOut);
      holding(records, [attemptBy(soldOut, 'confirmed')]);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'ALREADY_PURCHASED',
      );
      expect(records.insertConfirmed).not.toHaveBeenCalled();
    });
  });

  describe('sale events', () => {
    it.each([false, true])(
      'publishes `purchase` once the purchase is final (transactions: %s)',
      async (transactions) => {
        const sale = buildSale();
        const { service, records, events } = setup(sale, { transactions });
        await service.purchase(user, sale._id.toHexString(), 1);
        expect(events.publish).toHaveBeenCalledTimes(1);
        expect(events.publish).toHaveBeenCalledWith({
          saleId: sale._id.toHexString(),
          kind: 'purchase',
          revision: 1, // the take's: older views of the sale are ignored from now on
        });
        const written = transactions ? records.insertConfirmed : records.confirm;
        expect(written.mock.invocationCallOrder[0]).toBeLessThan(
          events.publish.mock.invocationCallOrder[0],
        );
      },
    );

    it('publishes `sold_out` for the purchase that took the last unit', async () => {
      const sale = buildSale({ remainingQuantity: 1 });
      const { service, events, snapshots } = setup(sale);
      await service.purchase(user, sale._id.toHexString(), 1);
      expect(events.publish).toHaveBeenCalledWith({
        saleId: sale._id.toHexString(),
        kind: 'sold_out',
        revision: 1,
      });
      // This instance answers the next attempts from memory at once.
      expect(snapshots.remember).toHaveBeenCalledWith(
        expect.objectContaining({ remainingQuantity: 0 }),
      );
    });

    it('publishes nothing for a refused or unconfirmed purchase', async () => {
      const sale = buildSale();
      const refused = setup(sale);
      refused.stock.takeUnits.mockResolvedValue(null);
      refused.stock.findById.mockResolvedValue({ ...sale, remainingQuantity: 0 });
      expect(await codeOf(refused.service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'SOLD_OUT',
      );
      const abandoned = setup(sale);
      abandoned.records.confirm.mockResolvedValue(false);
      expect(await codeOf(abandoned.service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(refused.events.publish).not.toHaveBeenCalled();
      expect(abandoned.events.publish).not.toHaveBeenCalled();
    });
  });

  describe('without transactions', () => {
    it('reserves, takes, then confirms with the place in line', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      const result = await service.purchase(user, sale._id.toHexString(), 1);
      expect(result).toMatchObject({
        saleId: sale._id.toHexString(),
        username: 'alice',
        quantity: 1,
      });
      expect(records.insertPending.mock.invocationCallOrder[0]).toBeLessThan(
        stock.takeUnits.mock.invocationCallOrder[0],
      );
      expect(records.confirm).toHaveBeenCalledWith(expect.any(Types.ObjectId), 1, expect.any(Date));
    });

    it('answers ALREADY_PURCHASED with the existing purchase when the unique index rejects the reservation', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      records.insertPending.mockRejectedValue(Object.assign(new Error('dup'), { code: 11000 }));
      const existing = {
        _id: new Types.ObjectId(),
        saleId: sale._id,
        username: 'alice',
        quantity: 2,
        state: 'confirmed',
        purchasedAt: new Date(),
      };
      records.findBySaleAndUser.mockResolvedValue(existing);
      const error = await service
        .purchase(user, sale._id.toHexString(), 1)
        .catch((e: ApiError) => e);
      expect((error as ApiError).body).toMatchObject({
        code: 'ALREADY_PURCHASED',
        details: { id: existing._id.toHexString(), quantity: 2 },
      });
      expect(stock.takeUnits).not.toHaveBeenCalled();
    });

    it('drops the reservation and explains when the database refuses the take (stale snapshot)', async () => {
      const sale = buildSale();
      const { service, records, stock, snapshots } = setup(sale);
      stock.takeUnits.mockResolvedValue(null);
      stock.findById.mockResolvedValue({ ...sale, remainingQuantity: 0 });
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe('SOLD_OUT');
      expect(records.deletePending).toHaveBeenCalledTimes(1);
      expect(snapshots.remember).toHaveBeenCalledWith(
        expect.objectContaining({ remainingQuantity: 0 }),
      );
    });

    it('lets go of the reservation when the take itself fails (outcome unknown): the audit settles the units', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      stock.takeUnits.mockRejectedValue(new Error('connection reset'));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).rejects.toThrow(
        'connection reset',
      );
      expect(records.deletePending).toHaveBeenCalledTimes(1);
    });

    it('lets go of the reservation when the confirm fails, and answers that nothing was kept', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockRejectedValue(new Error('connection reset'));
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(records.deletePending).toHaveBeenCalledTimes(1);
    });

    it('stamps the purchase with the time the take handed out, never an earlier one', async () => {
      const later = new Date(Date.now() + 60_000);
      const sale = buildSale({ lastAcceptedAt: later, acceptedSeq: 4 });
      const { service, records } = setup(sale);
      const result = await service.purchase(user, sale._id.toHexString(), 1);
      expect(result.purchasedAt).toEqual(later);
      expect(records.confirm).toHaveBeenCalledWith(expect.any(Types.ObjectId), 5, later);
    });

    it('answers PURCHASE_NOT_COMPLETED, nothing kept, when takes keep missing for no visible reason', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      stock.takeUnits.mockResolvedValue(null);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(stock.takeUnits).toHaveBeenCalledTimes(3);
      expect(records.deletePending).toHaveBeenCalledTimes(1);
    });

    it('answers the purchase when a failed-looking confirm had in fact landed', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockRejectedValue(new Error('timeout after write'));
      records.deletePending.mockResolvedValue(false);
      records.findById.mockResolvedValue(landed(sale));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).resolves.toMatchObject({
        quantity: 1,
      });
    });

    it('answers that nothing was kept when the reconciler already abandoned the attempt', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockResolvedValue(false);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
    });
  });

  describe('answers that say only what is known (issue 17, findings 3 and 7)', () => {
    const errorOf = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => e as ApiError,
      );
    const lost = () => new Error('connection reset');

    it('a lost confirm reply, then a failing delete: looks again and answers the purchase that landed', async () => {
      const sale = buildSale();
      const { service, records, events } = setup(sale);
      records.confirm.mockRejectedValue(lost());
      records.deletePending.mockRejectedValueOnce(lost()).mockResolvedValue(false);
      records.findById.mockResolvedValue(landed(sale));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).resolves.toMatchObject({
        quantity: 1,
      });
      expect(records.deletePending).toHaveBeenCalledTimes(2);
      expect(events.publish).toHaveBeenCalledTimes(1); // a purchase: every instance may hear of it
    });

    it('a lost confirm reply, then a failing read of the record: looks again and answers the purchase', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockRejectedValue(lost());
      records.deletePending.mockResolvedValue(false);
      records.findById.mockRejectedValueOnce(lost()).mockResolvedValue(landed(sale));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).resolves.toMatchObject({
        quantity: 1,
      });
    });

    it('answers 503 PURCHASE_OUTCOME_UNKNOWN with Retry-After when the database never tells', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockRejectedValue(lost());
      records.deletePending.mockRejectedValue(lost());
      const error = await errorOf(service.purchase(user, sale._id.toHexString(), 1));
      expect(error.body).toMatchObject({ statusCode: 503, code: 'PURCHASE_OUTCOME_UNKNOWN' });
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      expect(records.deletePending).toHaveBeenCalledTimes(3); // bounded
    });

    it('answers that nothing was kept only when the record is known gone (abandoned by the reconciler)', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.confirm.mockRejectedValue(lost());
      records.deletePending.mockResolvedValue(false);
      records.findById.mockResolvedValue(null);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
    });

    it('a retry after an unknown outcome answers ALREADY_PURCHASED with the purchase when it landed', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.insertPending.mockRejectedValue(Object.assign(new Error('dup'), { code: 11000 }));
      records.findBySaleAndUser.mockRejectedValueOnce(lost()).mockResolvedValue(landed(sale));
      const error = await errorOf(service.purchase(user, sale._id.toHexString(), 1));
      expect(error.body).toMatchObject({ code: 'ALREADY_PURCHASED', details: { quantity: 1 } });
    });

    it('with transactions: an unknown commit looked up in vain answers PURCHASE_OUTCOME_UNKNOWN', async () => {
      const sale = buildSale();
      const { service, records, runner } = setup(sale, { transactions: true });
      runner.run.mockRejectedValue(new TransactionGaveUp('unknown', lost()));
      records.findBySaleAndUser.mockRejectedValue(lost());
      const error = await errorOf(service.purchase(user, sale._id.toHexString(), 1));
      expect(error.body.code).toBe('PURCHASE_OUTCOME_UNKNOWN');
      expect(records.findBySaleAndUser).toHaveBeenCalledTimes(3);
    });

    it('a lost reservation reply: lets go of the record under the id it chose, so retries are not locked out', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      records.insertPending.mockRejectedValue(lost());
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(records.deletePending).toHaveBeenCalledWith(records.insertPending.mock.calls[0][0]);
      expect(stock.takeUnits).not.toHaveBeenCalled();
    });

    it('a retry meeting an unsettled attempt hears PURCHASE_IN_PROGRESS with when to retry, not "you bought"', async () => {
      const sale = buildSale();
      const { service, records } = setup(sale);
      records.insertPending.mockRejectedValue(Object.assign(new Error('dup'), { code: 11000 }));
      const attemptedAt = new Date(Date.now() - 10_000); // its attempt died 10 s ago
      records.findBySaleAndUser.mockResolvedValue({ state: 'pending', attemptedAt });
      const old = await errorOf(service.purchase(user, sale._id.toHexString(), 1));
      expect(old.body).toMatchObject({
        statusCode: 409,
        code: 'PURCHASE_IN_PROGRESS',
        details: { inProgress: true, settledBy: new Date(+attemptedAt + 35_000).toISOString() },
      });
      expect(old.retryAfterSeconds).toBeGreaterThanOrEqual(24); // settled by the reconciler
      expect(old.retryAfterSeconds).toBeLessThanOrEqual(25);
      // A double click: the first attempt is still running and answers in a moment.
      records.findBySaleAndUser.mockResolvedValue({ state: 'pending', attemptedAt: new Date() });
      const young = await errorOf(service.purchase(user, sale._id.toHexString(), 1));
      expect(young.body.code).toBe('PURCHASE_IN_PROGRESS');
      expect(young.retryAfterSeconds).toBe(1);
    });
  });

  describe('with transactions', () => {
    it('writes the confirmed record first and the hot sale document last, inside one transaction', async () => {
      const sale = buildSale({ acceptedSeq: 41 });
      const { service, records, stock, runner } = setup(sale, { transactions: true });
      const result = await service.purchase(user, sale._id.toHexString(), 1);
      expect(runner.run).toHaveBeenCalledTimes(1);
      expect(records.insertPending).not.toHaveBeenCalled();
      expect(records.insertConfirmed).toHaveBeenCalledWith(
        expect.any(Object),
        42,
        { attempted: expect.any(Date), purchased: expect.any(Date) },
        expect.any(Object),
      );
      expect(records.insertConfirmed.mock.invocationCallOrder[0]).toBeLessThan(
        stock.takeUnits.mock.invocationCallOrder[0],
      );
      expect(result.quantity).toBe(1);
    });

    it('passes the transaction session to every read and write inside it', async () => {
      const sale = buildSale();
      const { service, records, stock, runner } = setup(sale, { transactions: true });
      const session = { id: 'the session' };
      runner.run.mockImplementation((work: (s: object) => Promise<unknown>) => work(session));
      await service.purchase(user, sale._id.toHexString(), 1);
      expect(stock.findById).toHaveBeenCalledWith(sale._id, session);
      expect(records.insertConfirmed.mock.calls[0][3]).toBe(session);
      expect(stock.takeUnits.mock.calls[0][3]).toBe(session);
    });

    it('answers 503 PURCHASE_NOT_COMPLETED when contention outlasts the retry budget', async () => {
      const sale = buildSale();
      const { service, runner } = setup(sale, { transactions: true });
      runner.run.mockRejectedValue(new TransactionGaveUp('aborted', new Error('write conflict')));
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
    });

    it('answers the purchase when a commit of unknown outcome had in fact landed', async () => {
      const sale = buildSale();
      const { service, records, runner } = setup(sale, { transactions: true });
      runner.run.mockRejectedValue(new TransactionGaveUp('unknown', new Error('no reply')));
      records.findBySaleAndUser.mockResolvedValue(landed(sale));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).resolves.toMatchObject({
        quantity: 1,
      });
    });

    it('judges the sale open at the time of each try, not at the request arrival', async () => {
      const endTime = new Date(Date.now() + 50);
      const sale = buildSale({ endTime });
      const { service, records, stock, runner } = setup(sale, { transactions: true });
      runner.run.mockImplementation(async (work: (s: object) => Promise<unknown>) => {
        await new Promise((resolve) => setTimeout(resolve, 80)); // retries took past endTime
        return work({});
      });
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe('SALE_ENDED');
      expect(records.insertConfirmed).not.toHaveBeenCalled();
      expect(stock.takeUnits).not.toHaveBeenCalled();
    });

    it('rejects from the in-transaction read without writing anything', async () => {
      const sale = buildSale();
      const { service, records, stock, snapshots } = setup(sale, { transactions: true });
      stock.findById.mockResolvedValue({ ...sale, remainingQuantity: 0 });
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe('SOLD_OUT');
      expect(records.insertConfirmed).not.toHaveBeenCalled();
      expect(stock.takeUnits).not.toHaveBeenCalled();
      expect(snapshots.remember).toHaveBeenCalledWith(
        expect.objectContaining({ remainingQuantity: 0 }),
      );
    });
  });
});
