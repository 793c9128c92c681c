import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Types } from 'mongoose';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { MongoClient } from 'mongodb';
import {
  adminToken,
  createTestApp,
  databaseUri,
  http,
  uniqueDatabaseName,
} from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function storedStatus(app: NestFastifyApplication, id: string): Promise<string> {
  const sales = app.get<Model<{ status: string }>>(getModelToken('Sale'));
  const sale = await sales.findById(new Types.ObjectId(id)).lean().exec();
  return sale!.status;
}

/** Polls the stored status (the scheduler's own work) for up to 6 s; answers the last one seen. */
async function waitForStatus(app: NestFastifyApplication, id: string, wanted: string) {
  let status = await storedStatus(app, id);
  for (let i = 0; i < 60 && status !== wanted; i += 1) {
    await sleep(100);
    status = await storedStatus(app, id);
  }
  return status;
}

describe('the sale scheduler (e2e, real time)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let admin: string;

  beforeAll(async () => {
    app = await createTestApp(database);
    admin = await adminToken(app);
  });
  afterAll(() => app?.close());

  it('activates a sale by itself within a second of its startTime, without any manual call', async () => {
    const sale = await createSale(app, admin, { startTime: secondsFromNow(2) });
    expect(await storedStatus(app, sale.id)).toBe('scheduled');
    await sleep(1_500);
    expect(await storedStatus(app, sale.id)).toBe('scheduled'); // not early
    expect(await waitForStatus(app, sale.id, 'active')).toBe('active');
    const body = (await http(app).get(`/api/sales/${sale.id}`).expect(200)).body;
    expect(body.status).toBe('active');
    expect(new Date(body.activatedAt).getTime() - new Date(sale.startTime).getTime()).toBeLessThan(
      1_500,
    );
  });

  it('marks a sale ended by itself within a second of its endTime', async () => {
    const sale = await createSale(app, admin, {
      startTime: secondsFromNow(-1),
      endTime: secondsFromNow(2),
    });
    expect(await waitForStatus(app, sale.id, 'ended')).toBe('ended');
    // Seen ended within a tick of endTime (plus slack for a loaded machine), not merely eventually.
    expect(Date.now() - new Date(sale.endTime!).getTime()).toBeLessThan(2_000);
  });

  it('catches up at boot on sales that should have started or ended while it was down', async () => {
    await app.close();
    // Written while the service is down, straight into its database, with times already past.
    const client = await MongoClient.connect(databaseUri(database));
    const base = {
      name: 'missed',
      productId: new Types.ObjectId(),
      product: { name: 'missed', priceCents: 100 },
      totalQuantity: 1,
      remainingQuantity: 1,
      soldQuantity: 0,
      maxPerUser: 1,
      acceptedSeq: 0,
      status: 'scheduled',
      startTime: new Date(Date.now() - 60_000),
      createdAt: new Date(),
    };
    const inserted = await client
      .db()
      .collection('sales')
      .insertMany([
        { ...base, endTime: null },
        { ...base, endTime: new Date(Date.now() - 30_000) },
      ]);
    await client.close();
    app = await createTestApp(database);
    expect(await storedStatus(app, String(inserted.insertedIds[0]))).toBe('active');
    expect(await storedStatus(app, String(inserted.insertedIds[1]))).toBe('ended');
  });
});
