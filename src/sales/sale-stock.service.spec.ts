import { getModelToken } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { SaleStockService } from './sale-stock.service';
import { Sale, type StoredSale } from './schemas/sale.schema';

/** A mongoose query stub: `.lean().exec()` resolves to the given value. */
const query = (value: unknown) => ({ lean: () => ({ exec: () => Promise.resolve(value) }) });

describe('SaleStockService (model mocked)', () => {
  const saleId = new Types.ObjectId();
  const now = new Date('2030-01-01T10:00:00Z');
  let model: { findOneAndUpdate: jest.Mock; updateOne: jest.Mock; updateMany: jest.Mock };
  let stock: SaleStockService;

  beforeEach(async () => {
    model = {
      findOneAndUpdate: jest.fn(),
      updateOne: jest.fn().mockResolvedValue({ matchedCount: 1, modifiedCount: 1 }),
      updateMany: jest.fn().mockResolvedValue({ matchedCount: 1, modifiedCount: 1 }),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [SaleStockService, { provide: getModelToken(Sale.name), useValue: model }],
    }).compile();
    stock = moduleRef.get(SaleStockService);
  });

  describe('takeUnits', () => {
    it('takes with one guarded $inc while more than the asked units remain', async () => {
      const after = { _id: saleId, remainingQuantity: 7, acceptedSeq: 3 };
      model.findOneAndUpdate.mockReturnValueOnce(query(after));
      expect(await stock.takeUnits(saleId, 2, now)).toBe(after);
      const [filter, update] = model.findOneAndUpdate.mock.calls[0];
      expect(filter).toMatchObject({
        _id: saleId,
        remainingQuantity: { $gt: 2 },
        status: { $ne: 'ended' },
        startTime: { $lte: now },
        $or: [{ endTime: null }, { endTime: { $gt: now } }],
      });
      expect(update).toEqual({ $inc: { remainingQuantity: -2, soldQuantity: 2, acceptedSeq: 1 } });
      expect(model.findOneAndUpdate).toHaveBeenCalledTimes(1);
    });

    it('takes the last units and marks the sale sold out in the same write', async () => {
      model.findOneAndUpdate
        .mockReturnValueOnce(query(null))
        .mockReturnValueOnce(query({ remainingQuantity: 0 }));
      expect(await stock.takeUnits(saleId, 2, now)).toEqual({ remainingQuantity: 0 });
      const [filter, update] = model.findOneAndUpdate.mock.calls[1];
      expect(filter).toMatchObject({ _id: saleId, remainingQuantity: 2 });
      expect(update).toEqual({
        $inc: { remainingQuantity: -2, soldQuantity: 2, acceptedSeq: 1 },
        $set: { status: 'sold_out' },
      });
    });

    it('answers null when the database refuses both guarded writes', async () => {
      model.findOneAndUpdate.mockReturnValue(query(null));
      expect(await stock.takeUnits(saleId, 1, now)).toBeNull();
    });
  });

  describe('returnUnits', () => {
    it('gives units back only while the reconciler does not own the counters, then reopens', async () => {
      expect(await stock.returnUnits(saleId, 3)).toBe(true);
      expect(model.updateOne.mock.calls[0]).toEqual([
        { _id: saleId, needsReconcile: { $ne: true } },
        { $inc: { remainingQuantity: 3, soldQuantity: -3 } },
      ]);
      expect(model.updateOne.mock.calls[1]).toEqual([
        { _id: saleId, status: 'sold_out', remainingQuantity: { $gt: 0 } },
        { $set: { status: 'active' } },
      ]);
    });

    it('reports nothing given back when the sale is flagged for a recount', async () => {
      model.updateOne.mockResolvedValueOnce({ matchedCount: 0, modifiedCount: 0 });
      expect(await stock.returnUnits(saleId, 3)).toBe(false);
    });
  });

  describe('repairCounters', () => {
    const observed = {
      _id: saleId,
      totalQuantity: 10,
      remainingQuantity: 4,
      soldQuantity: 6,
      acceptedSeq: 6,
    } as StoredSale;

    it('sets the counters from the confirmed units only if the sale did not move since it was read', async () => {
      expect(await stock.repairCounters(observed, 5)).toBe(true);
      expect(model.updateOne.mock.calls[0]).toEqual([
        { _id: saleId, soldQuantity: 6, remainingQuantity: 4, acceptedSeq: 6 },
        { $set: { soldQuantity: 5, remainingQuantity: 5, needsReconcile: false } },
      ]);
    });

    it('gives up (to retry later) when a take or give-back changed the sale meanwhile', async () => {
      model.updateOne.mockResolvedValueOnce({ matchedCount: 0, modifiedCount: 0 });
      expect(await stock.repairCounters(observed, 5)).toBe(false);
      expect(model.updateOne).toHaveBeenCalledTimes(1);
    });
  });
});
