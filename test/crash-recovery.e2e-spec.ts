import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { PurchaseReconciler } from '../src/purchases/purchase-reconciler';
import { PurchaseRecordsService } from '../src/purchases/purchase-records.service';
import { SaleStockService } from '../src/sales/sale-stock.service';
import { createSale } from './factories/catalog.factory';
import { postJson, startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import {
  ADMIN,
  adminToken,
  createTestApp,
  databaseUri,
  uniqueDatabaseName,
} from './support/test-app';
import { note } from './support/notes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FAST_RECONCILER = { RECONCILE_INTERVAL_MS: '300', PURCHASE_PENDING_TIMEOUT_MS: '1000' };

const post = postJson;

/** Guarantees 1 and 2, read straight from the database. */
async function expectConsistent(db: Db, saleId: ObjectId) {
  const sale = (await db.collection('sales').findOne({ _id: saleId }))!;
  const records = await db.collection('purchases').find({ saleId }).toArray();
  const confirmed = records.filter((r) => r.state === 'confirmed');
  const units = confirmed.reduce((sum, r) => sum + (r.quantity as number), 0);
  expect(records.filter((r) => r.state !== 'confirmed')).toEqual([]);
  expect(sale.remainingQuantity).toBeGreaterThanOrEqual(0);
  expect(sale.soldQuantity).toBe(units);
  expect(sale.totalQuantity - sale.remainingQuantity).toBe(units);
  expect(new Set(confirmed.map((r) => String(r.userId))).size).toBe(confirmed.length);
  return { sale, confirmed };
}

async function waitForQuiet(db: Db, saleId: ObjectId) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const pending = await db.collection('purchases').countDocuments({ saleId, state: 'pending' });
    const sale = await db.collection('sales').findOne({ _id: saleId });
    if (pending === 0 && !sale?.auditDue) return;
    await sleep(200);
  }
  throw new Error('the reconciler did not settle the sale within 20 s');
}

describe('crash recovery (e2e)', () => {
  const database = uniqueDatabaseName();
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = await MongoClient.connect(databaseUri(database));
    db = client.db();
  });
  afterAll(() => client.close());

  it('SIGKILL mid-storm, restart: never oversold, one purchase per user, every 201 kept', async () => {
    let app: ChildApp = await startChildApp(database, FAST_RECONCILER);
    const login = await post(app.url, '/api/auth/login', {
      email: ADMIN.email,
      password: ADMIN.password,
    });
    const admin = login.body.accessToken as string;
    const product = await post(app.url, '/api/products', { name: 'Crash', price: 1 }, admin);
    const sale = await post(
      app.url,
      '/api/sales',
      {
        productId: product.body.id,
        startTime: new Date(Date.now() - 1000).toISOString(),
        totalQuantity: 150,
        maxPerUser: 2,
      },
      admin,
    );
    const saleId = sale.body.id as string;
    const tokens: string[] = [];
    for (let i = 0; i < 400; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          post(app.url, '/api/auth/register', {
            username: `crash_${i + j}`,
            email: `crash_${i + j}@example.test`,
            password: 'password-123',
          }),
        ),
      );
      tokens.push(...batch.map((r) => r.body.accessToken as string));
    }

    const accepted: string[] = [];
    let killed = false;
    const storm = tokens.map(async (token, i) => {
      await sleep(i * 2); // a steady stream, so the kill lands in the middle of it
      const result = await post(
        app.url,
        `/api/sales/${saleId}/purchase`,
        { quantity: 1 + (i % 2) },
        token,
      ).catch(() => null);
      if (result?.status === 201) accepted.push(result.body.id as string);
      if (!killed && accepted.length >= 30) {
        killed = true;
        await stopChildApp(app, 'SIGKILL');
      }
    });
    await Promise.all(storm);
    expect(killed).toBe(true);

    app = await startChildApp(database, FAST_RECONCILER);
    try {
      const id = new ObjectId(saleId);
      await waitForQuiet(db, id);
      const { confirmed } = await expectConsistent(db, id);
      const kept = new Set(confirmed.map((r) => String(r._id)));
      expect(accepted.every((purchaseId) => kept.has(purchaseId))).toBe(true);
      note(
        `[crash] ${accepted.length} accepted before the kill, ${confirmed.length} purchases kept`,
      );
    } finally {
      // Graceful shutdown: SIGTERM closes the server and the database without a single error logged.
      const stopped = Date.now();
      await stopChildApp(app, 'SIGTERM');
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect(app.output.join('')).not.toMatch(/ERROR/);
    }
  }, 90_000);

  describe('the reconciler, on a crash between the steps staged exactly', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      // A slow interval: this test drives reconcile() itself.
      app = await createTestApp(database, {
        RECONCILE_INTERVAL_MS: '600000',
        // Long enough that a record written "now" stays fresh on a busy machine; stale ones are dated back.
        PURCHASE_PENDING_TIMEOUT_MS: '60000',
      });
    });
    afterAll(() => app.close());

    it('gives back units taken by an attempt that never confirmed, and only once', async () => {
      const sale = await createSale(app, await adminToken(app), {
        totalQuantity: 10,
        maxPerUser: 3,
      });
      const saleId = new ObjectId(sale.id);
      const stock = app.get(SaleStockService);
      const records = app.get(PurchaseRecordsService);
      const attemptedAt = new Date(Date.now() - 120_000);
      const purchase = {
        saleId,
        userId: new ObjectId(),
        username: 'crashed',
        saleName: 'x',
        productName: 'x',
        quantity: 3,
      };
      // The process "died" after taking the units and before confirming.
      await records.insertPending(purchase, attemptedAt);
      expect(await stock.takeUnits(saleId, 3, new Date())).not.toBeNull();
      // And one that died before taking anything.
      await records.insertPending({ ...purchase, userId: new ObjectId() }, attemptedAt);

      const reconciler = app.get(PurchaseReconciler);
      expect(await reconciler.reconcile()).toMatchObject({ abandoned: 2, recounted: 1 });
      expect(await reconciler.reconcile()).toMatchObject({ abandoned: 0, recounted: 0 });
      const { sale: after } = await expectConsistent(db, saleId);
      expect(after).toMatchObject({ remainingQuantity: 10, soldQuantity: 0, auditDue: false });
    });

    it('waits while an attempt is in flight (a fresh pending record) and repairs once quiet', async () => {
      const sale = await createSale(app, await adminToken(app), { totalQuantity: 5 });
      const saleId = new ObjectId(sale.id);
      const stock = app.get(SaleStockService);
      const records = app.get(PurchaseRecordsService);
      const base = { saleId, username: 'x', saleName: 'x', productName: 'x', quantity: 1 };
      await records.insertPending(
        { ...base, userId: new ObjectId() },
        new Date(Date.now() - 120_000),
      );
      await stock.takeUnits(saleId, 1, new Date());
      const inFlight = await records.insertPending({ ...base, userId: new ObjectId() }, new Date());

      const reconciler = app.get(PurchaseReconciler);
      expect(await reconciler.reconcile()).toMatchObject({
        abandoned: 1,
        recounted: 0,
        deferred: 1,
      });
      await records.deletePending(inFlight._id);
      expect(await reconciler.reconcile()).toMatchObject({ recounted: 1 });
      await expectConsistent(db, saleId);
    });
  });
});
