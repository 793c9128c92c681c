import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import { Types, type Model } from 'mongoose';
import { http } from './test-app';

/**
 * Guarantees 1 and 2, checked against the database itself:
 * soldQuantity == sum(confirmed quantities) == total - remaining, remaining >= 0, one purchase per user.
 */
/** One clock for the line: places are distinct and a later place never has an earlier time. */
export function expectTimesFollowTheLine(confirmed: Array<{ seq: number; purchasedAt: Date }>) {
  const line = [...confirmed].sort((a, b) => a.seq - b.seq);
  expect(new Set(line.map((p) => p.seq)).size).toBe(line.length);
  const backwards = line.filter(
    (p, i) => i > 0 && p.purchasedAt.getTime() < line[i - 1].purchasedAt.getTime(),
  );
  expect(backwards).toEqual([]);
}

export async function expectStockInvariants(app: NestFastifyApplication, saleId: string) {
  const sale = (await http(app).get(`/api/sales/${saleId}`).expect(200)).body as {
    totalQuantity: number;
    remainingQuantity: number;
    soldQuantity: number;
  };
  const purchases = app.get<
    Model<{
      userId: Types.ObjectId;
      quantity: number;
      state: string;
      seq: number;
      purchasedAt: Date;
    }>
  >(getModelToken('Purchase'));
  const records = await purchases
    .find({ saleId: new Types.ObjectId(saleId) })
    .lean()
    .exec();
  const confirmed = records.filter((record) => record.state === 'confirmed');
  const units = confirmed.reduce((sum, record) => sum + record.quantity, 0);
  const buyers = new Set(confirmed.map((record) => String(record.userId)));

  expect(sale.remainingQuantity).toBeGreaterThanOrEqual(0);
  expect(sale.soldQuantity).toBe(units);
  expect(sale.totalQuantity - sale.remainingQuantity).toBe(sale.soldQuantity);
  expect(buyers.size).toBe(confirmed.length);
  expect(records.filter((record) => record.state !== 'confirmed')).toEqual([]);
  expectTimesFollowTheLine(confirmed);
  return { sale, confirmed, units };
}
