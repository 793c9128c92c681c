import { Types } from 'mongoose';
import { ApiError } from '../common/errors/api-error';
import type { TransactionRunner } from '../database/transaction-runner';
import type { SaleSnapshotCache } from '../sales/sale-snapshot.cache';
import type { SaleStockService } from '../sales/sale-stock.service';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { PurchaseRecordsService } from './purchase-records.service';
import { PurchasesService } from './purchases.service';
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
    needsReconcile: false,
    createdAt: new Date(),
    ...overrides,
  };
}

function setup(sale: StoredSale | null, { transactions = false } = {}) {
  const pending = { _id: new Types.ObjectId(), saleId: sale?._id, quantity: 1 } as StoredPurchase;
  const records = {
    insertPending: jest
      .fn()
      .mockImplementation((p: object, at: Date) =>
        Promise.resolve({ ...pending, ...p, attemptedAt: at, state: 'pending' }),
      ),
    insertConfirmed: jest.fn().mockImplementation((p: object, seq: number, at: Date) =>
      Promise.resolve({
        ...pending,
        ...p,
        seq,
        attemptedAt: at,
        purchasedAt: at,
        state: 'confirmed',
      }),
    ),
    confirm: jest.fn().mockResolvedValue(true),
    deletePending: jest.fn().mockResolvedValue(true),
    findById: jest.fn().mockResolvedValue(null),
    findBySaleAndUser: jest.fn().mockResolvedValue(null),
  };
  const taken = sale && {
    ...sale,
    remainingQuantity: sale.remainingQuantity - 1,
    acceptedSeq: sale.acceptedSeq + 1,
  };
  const stock = {
    takeUnits: jest.fn().mockResolvedValue(taken),
    findById: jest.fn().mockResolvedValue(sale),
    returnUnits: jest.fn().mockResolvedValue(true),
    markNeedsReconcile: jest.fn().mockResolvedValue(undefined),
  };
  const snapshots = { get: jest.fn().mockResolvedValue(sale), remember: jest.fn() };
  const runner = {
    enabled: transactions,
    run: jest.fn().mockImplementation((work: (session: object) => Promise<unknown>) => work({})),
  };
  const service = new PurchasesService(
    records as unknown as PurchaseRecordsService,
    stock as unknown as SaleStockService,
    snapshots as unknown as SaleSnapshotCache,
    runner as unknown as TransactionRunner,
  );
  return { service, records, stock, snapshots, runner };
}

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
      expect(stock.returnUnits).not.toHaveBeenCalled();
    });

    it('keeps the reservation for the reconciler when the take itself fails (outcome unknown)', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      stock.takeUnits.mockRejectedValue(new Error('connection reset'));
      await expect(service.purchase(user, sale._id.toHexString(), 1)).rejects.toThrow(
        'connection reset',
      );
      expect(records.deletePending).not.toHaveBeenCalled();
      expect(stock.returnUnits).not.toHaveBeenCalled();
    });

    it('gives the units back when the confirm fails and it still owns the reservation', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      records.confirm.mockRejectedValue(new Error('connection reset'));
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(records.deletePending).toHaveBeenCalledTimes(1);
      expect(stock.returnUnits).toHaveBeenCalledWith(sale._id, 1);
    });

    it('asks for a recount when even the give-back fails', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      records.confirm.mockRejectedValue(new Error('connection reset'));
      stock.returnUnits.mockRejectedValue(new Error('still down'));
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(stock.markNeedsReconcile).toHaveBeenCalledWith([sale._id]);
    });

    it('answers the purchase when a failed-looking confirm had in fact landed', async () => {
      const sale = buildSale();
      const { service, records, stock } = setup(sale);
      records.confirm.mockRejectedValue(new Error('timeout after write'));
      records.deletePending.mockResolvedValue(false);
      records.findById.mockResolvedValue({
        _id: new Types.ObjectId(),
        saleId: sale._id,
        username: 'alice',
        quantity: 1,
        state: 'confirmed',
        purchasedAt: new Date(),
      });
      await expect(service.purchase(user, sale._id.toHexString(), 1)).resolves.toMatchObject({
        quantity: 1,
      });
      expect(stock.returnUnits).not.toHaveBeenCalled();
    });

    it('gives nothing back when the reconciler already took over the attempt', async () => {
      const sale = buildSale();
      const { service, stock, records } = setup(sale);
      records.confirm.mockResolvedValue(false);
      expect(await codeOf(service.purchase(user, sale._id.toHexString(), 1))).toBe(
        'PURCHASE_NOT_COMPLETED',
      );
      expect(stock.returnUnits).not.toHaveBeenCalled();
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
        expect.any(Date),
        expect.any(Object),
      );
      expect(records.insertConfirmed.mock.invocationCallOrder[0]).toBeLessThan(
        stock.takeUnits.mock.invocationCallOrder[0],
      );
      expect(result.quantity).toBe(1);
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
