import { getModelToken } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import { Types } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { SaleEvents } from './events/sale-events';
import { SaleStockService } from './sale-stock.service';
import { Sale, type StoredSale } from './schemas/sale.schema';

/** A mongoose query stub: `.lean().exec()` resolves to the given value. */
const query = (value: unknown) => ({ lean: () => ({ exec: () => Promise.resolve(value) }) });

describe('SaleStockService (model mocked)', () => {
  const saleId = new Types.ObjectId();
  const now = new Date('2030-01-01T10:00:00Z');
  let model: { findOneAndUpdate: jest.Mock; updateOne: jest.Mock; updateMany: jest.Mock };
  let stock: SaleStockService;
  let events: { publish: jest.Mock; subscribe: jest.Mock };

  beforeEach(async () => {
    model = {
      findOneAndUpdate: jest.fn(),
      updateOne: jest.fn().mockResolvedValue({ matchedCount: 1, modifiedCount: 1 }),
      updateMany: jest.fn().mockResolvedValue({ matchedCount: 1, modifiedCount: 1 }),
    };
    events = { publish: jest.fn(), subscribe: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      providers: [
        SaleStockService,
        DatabaseSteps,
        { provide: SaleEvents, useValue: events },
        { provide: getModelToken(Sale.name), useValue: model },
      ],
    }).compile();
    stock = moduleRef.get(SaleStockService);
  });

  describe('takeUnits', () => {
    it('takes with one guarded $inc, stamping the time of the take, never behind the last one', async () => {
      const after = { _id: saleId, remainingQuantity: 7, acceptedSeq: 3, lastAcceptedAt: now };
      model.findOneAndUpdate.mockReturnValueOnce(query(after));
      const session = { id: 'session' };
      expect(await stock.takeUnits(saleId, 2, now, session as never)).toBe(after);
      const [filter, update, options] = model.findOneAndUpdate.mock.calls[0];
      expect(filter).toMatchObject({
        _id: saleId,
        remainingQuantity: { $gte: 2 },
        lastAcceptedAt: { $not: { $gt: now } },
        status: { $ne: 'ended' },
        startTime: { $lte: now },
        $or: [{ endTime: null }, { endTime: { $gt: now } }],
      });
      expect(update).toEqual({
        $inc: { remainingQuantity: -2, soldQuantity: 2, acceptedSeq: 1, stockRevision: 1 },
        $set: { lastAcceptedAt: now, auditDue: true },
      });
      expect(options).toMatchObject({ new: true, session });
    });

    it('keeps the later time when its clock is behind the last accepted take', async () => {
      const later = { _id: saleId, remainingQuantity: 4, lastAcceptedAt: new Date(+now + 5) };
      model.findOneAndUpdate.mockReturnValueOnce(query(null)).mockReturnValueOnce(query(later));
      expect(await stock.takeUnits(saleId, 2, now)).toBe(later);
      const [filter, update] = model.findOneAndUpdate.mock.calls[1];
      expect(filter).toMatchObject({
        _id: saleId,
        remainingQuantity: { $gte: 2 },
        lastAcceptedAt: { $gt: now },
      });
      expect(update).toEqual({
        $inc: { remainingQuantity: -2, soldQuantity: 2, acceptedSeq: 1, stockRevision: 1 },
        $set: { auditDue: true },
      });
    });

    it('answers null when the database refuses both guarded writes', async () => {
      model.findOneAndUpdate.mockReturnValue(query(null));
      expect(await stock.takeUnits(saleId, 1, now)).toBeNull();
    });
  });

  describe('recount', () => {
    const observed = {
      _id: saleId,
      totalQuantity: 10,
      remainingQuantity: 0,
      soldQuantity: 10,
      acceptedSeq: 6,
      stockRevision: 9,
      status: 'sold_out',
      startTime: new Date('2030-01-01T09:00:00Z'),
      endTime: null,
    } as StoredSale;
    const exec = (value: unknown) => ({ exec: () => Promise.resolve(value) });

    it('sets counters and status from the confirmed units only if nothing it computes from moved since it was read', async () => {
      model.updateOne.mockReturnValueOnce(exec({ matchedCount: 1 }));
      expect(await stock.recount(observed, 8)).toBe(true);
      expect(model.updateOne.mock.calls[0]).toEqual([
        {
          _id: saleId,
          totalQuantity: 10,
          soldQuantity: 10,
          remainingQuantity: 0,
          acceptedSeq: 6,
          stockRevision: 9,
          status: 'sold_out',
          startTime: observed.startTime,
          endTime: null,
        },
        {
          $set: { soldQuantity: 8, remainingQuantity: 2, status: 'active', auditDue: false },
          $inc: { stockRevision: 1 },
        },
      ]);
      expect(events.publish).toHaveBeenCalledWith({
        saleId: saleId.toHexString(),
        kind: 'stock_back',
        revision: 10,
      });
    });

    it('marks a sale with nothing left sold out', async () => {
      model.updateOne.mockReturnValueOnce(exec({ matchedCount: 1 }));
      await stock.recount({ ...observed, status: 'active' }, 10);
      expect(model.updateOne.mock.calls[0][1]).toEqual({
        $set: { soldQuantity: 10, remainingQuantity: 0, status: 'sold_out', auditDue: false },
        $inc: { stockRevision: 1 },
      });
      expect(events.publish).toHaveBeenCalledWith({
        saleId: saleId.toHexString(),
        kind: 'sold_out',
        revision: 10,
      });
    });

    it('publishes nothing when the counters were right', async () => {
      model.updateOne.mockReturnValueOnce(exec({ matchedCount: 1 }));
      expect(await stock.recount(observed, 10)).toBe(true);
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('gives up (to retry later) when a take or a status change moved the sale meanwhile', async () => {
      model.updateOne.mockReturnValueOnce(exec({ matchedCount: 0 }));
      expect(await stock.recount(observed, 5)).toBe(false);
      expect(model.updateOne).toHaveBeenCalledTimes(1);
      expect(events.publish).not.toHaveBeenCalled();
    });
  });
});
