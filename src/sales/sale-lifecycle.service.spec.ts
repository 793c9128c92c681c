import { Types, type Model } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { SaleLifecycleService } from './sale-lifecycle.service';
import type { Sale } from './schemas/sale.schema';

const STEPS = ['end', 'activate', 'markSoldOut', 'reopen'] as const;

/** `found[i]`: the ids step i reads; `modified[i]`: what its updateMany reports. */
function setup(found: Types.ObjectId[][], modified: number[]) {
  let step = 0;
  const model = {
    find: jest.fn(() => ({
      limit: () => ({
        lean: () => ({ exec: () => Promise.resolve(found[step++].map((_id) => ({ _id }))) }),
      }),
    })),
    updateMany: jest.fn(() => ({
      exec: () => Promise.resolve({ modifiedCount: modified.shift() ?? 0 }),
    })),
  };
  const events = { publish: jest.fn(), subscribe: jest.fn() };
  const service = new SaleLifecycleService(
    model as unknown as Model<Sale>,
    new DatabaseSteps(),
    events,
  );
  return { service, model, events };
}

describe('SaleLifecycleService', () => {
  it('updates only the sales it read that still match, and publishes each with its kind', async () => {
    const [ending, opening] = [new Types.ObjectId(), new Types.ObjectId()];
    const { service, model, events } = setup([[ending], [opening], [], []], [1, 1]);
    const now = new Date();
    expect(await service.advance(now)).toEqual({ ended: 1, activated: 1, soldOut: 0, reopened: 0 });
    expect(model.find).toHaveBeenCalledTimes(STEPS.length);
    expect(model.updateMany).toHaveBeenCalledTimes(2); // nothing matched: no write
    expect(model.updateMany.mock.calls[0]).toEqual([
      { status: { $ne: 'ended' }, endTime: { $lte: now }, _id: { $in: [ending] } },
      { $set: { status: 'ended' } },
    ]);
    expect(events.publish.mock.calls).toEqual([
      [{ saleId: ending.toHexString(), kind: 'ended' }],
      [{ saleId: opening.toHexString(), kind: 'activated' }],
    ]);
  });

  it('publishes nothing when another instance moved the sales first', async () => {
    const { service, events } = setup([[], [], [new Types.ObjectId()], []], [0]);
    expect(await service.advance(new Date())).toMatchObject({ soldOut: 0 });
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('publishes stock coming back as stock_back and a sale that ran out as sold_out', async () => {
    const [out, back] = [new Types.ObjectId(), new Types.ObjectId()];
    const { service, events } = setup([[], [], [out], [back]], [1, 1]);
    await service.advance(new Date());
    expect(events.publish.mock.calls).toEqual([
      [{ saleId: out.toHexString(), kind: 'sold_out' }],
      [{ saleId: back.toHexString(), kind: 'stock_back' }],
    ]);
  });
});
