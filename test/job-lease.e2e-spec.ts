import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { PERIODIC_JOBS_LEASE, JobLease } from '../src/jobs/job-lease';
import { SaleLifecycleService } from '../src/sales/sale-lifecycle.service';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { postJson, startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import { waitUntil } from './support/processes';
import {
  ADMIN,
  adminToken,
  createTestApp,
  databaseUri,
  uniqueDatabaseName,
} from './support/test-app';
import { note } from './support/notes';

/**
 * One runner for the periodic jobs among several instances on one database: the lease in MongoDB, seen
 * from two in-process apps (closed cleanly) and from two real processes (one killed with SIGKILL).
 */
const TTL_MS = 1_500;
const FAST_LEASE = { JOB_LEASE_TTL_MS: String(TTL_MS) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function leaseDocument(db: Db) {
  return db
    .collection<{ _id: string; holder: string; expiresAt: Date }>('leases')
    .findOne({ _id: PERIODIC_JOBS_LEASE });
}

async function storedSale(db: Db, id: string) {
  return (await db.collection('sales').findOne({ _id: new ObjectId(id) }))!;
}

describe('one job runner among instances (e2e)', () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(databaseUri('admin'));
  });
  afterAll(() => client?.close());

  describe('two in-process apps on one database', () => {
    const database = uniqueDatabaseName();
    let db: Db;
    let apps: NestFastifyApplication[] = [];
    let admin: string;
    const holders = () => apps.filter((app) => app.get(JobLease).held);

    beforeAll(async () => {
      db = client.db(database);
      apps = [await createTestApp(database, FAST_LEASE), await createTestApp(database, FAST_LEASE)];
      admin = await adminToken(apps[0]);
    });
    afterAll(() => Promise.all(apps.map((app) => app.close())));

    it('gives the lease to exactly one of them, named in the lease document', async () => {
      for (let sample = 0; sample < 10; sample += 1) {
        expect(holders()).toHaveLength(1);
        await sleep(TTL_MS / 5); // across several renewals
      }
      expect((await leaseDocument(db))?.holder).toBe(holders()[0].get(JobLease).holder);
    });

    it('activates a scheduled sale once, on the holder only (the other never sweeps)', async () => {
      const [holder] = holders();
      const other = apps.find((app) => app !== holder)!;
      const sweeps = apps.map((app) => jest.spyOn(app.get(SaleLifecycleService), 'advance'));
      try {
        const sale = await createSale(other, admin, { startTime: secondsFromNow(1.5) });
        await waitUntil(
          async () => (await storedSale(db, sale.id)).status === 'active',
          6_000,
          'the sale activated by the scheduler',
        );
        const activatedAt = (await storedSale(db, sale.id)).activatedAt as Date;
        expect(activatedAt.getTime()).toBeGreaterThanOrEqual(new Date(sale.startTime).getTime());
        await sleep(1_500); // more ticks: the activation is never redone
        expect((await storedSale(db, sale.id)).activatedAt).toEqual(activatedAt);
        expect(sweeps[apps.indexOf(holder)]).toHaveBeenCalled();
        expect(sweeps[apps.indexOf(other)]).not.toHaveBeenCalled();
      } finally {
        sweeps.forEach((spy) => spy.mockRestore());
      }
    });

    it('hands the lease over when the holder closes; a sale a second ahead still opens', async () => {
      const [holder] = holders();
      const survivor = apps.find((app) => app !== holder)!;
      apps = [survivor];
      await holder.close(); // releases the lease on its way out
      const tookOver = await waitUntil(
        () => survivor.get(JobLease).held,
        TTL_MS + 3_000,
        'the survivor holding the lease',
      );
      note(`[job lease] clean close: the other instance took over after ${tookOver} ms`);
      const sale = await createSale(survivor, admin, { startTime: secondsFromNow(1) });
      await waitUntil(
        async () => (await storedSale(db, sale.id)).status === 'active',
        5_000,
        'the sale activated by the new runner',
      );
      expect((await leaseDocument(db))?.holder).toBe(survivor.get(JobLease).holder);
    });
  });

  describe('two real processes, the holder killed with SIGKILL', () => {
    const database = uniqueDatabaseName();
    let children: ChildApp[] = [];

    afterAll(() => Promise.all(children.map((child) => stopChildApp(child, 'SIGKILL'))));

    async function call(url: string, path: string, body: object, token?: string) {
      const { status, body: answer } = await postJson(url, path, body, token);
      expect(status).toBeLessThan(300);
      return answer as Record<string, string>;
    }

    it('lets the other process take over and open a scheduled sale within the TTL plus a few seconds', async () => {
      const db = client.db(database);
      children = [
        await startChildApp(database, FAST_LEASE),
        await startChildApp(database, FAST_LEASE),
      ];
      const pidOf = (holder: string | undefined) => Number(holder?.split(':').at(-2));
      await waitUntil(async () => (await leaseDocument(db)) !== null, 5_000, 'a lease holder');
      const holderPid = pidOf((await leaseDocument(db))?.holder);
      const victim = children.find((child) => child.process.pid === holderPid)!;
      const survivor = children.find((child) => child !== victim)!;
      expect(victim).toBeDefined();
      expect(victim.output.join('')).toMatch(/This instance is now the job runner/);
      expect(survivor.output.join('')).not.toMatch(/This instance is now the job runner/);

      await stopChildApp(victim, 'SIGKILL');
      const killedAt = Date.now();
      const { accessToken } = await call(survivor.url, '/api/auth/login', {
        email: ADMIN.email,
        password: ADMIN.password,
      });
      const product = await call(
        survivor.url,
        '/api/products',
        { name: 'After the crash', description: 'x', price: 10 },
        accessToken,
      );
      const sale = await call(
        survivor.url,
        '/api/sales',
        { productId: product.id, startTime: secondsFromNow(1), totalQuantity: 5 },
        accessToken,
      );
      await waitUntil(
        async () => (await storedSale(db, sale.id)).status === 'active',
        TTL_MS + 5_000,
        'the scheduled sale opened by the surviving process',
      );
      note(`[job lease] SIGKILL: the sale opened ${Date.now() - killedAt} ms after the kill`);
      expect(pidOf((await leaseDocument(db))?.holder)).toBe(survivor.process.pid);
      expect(survivor.output.join('')).toMatch(/This instance is now the job runner/);
    }, 120_000);
  });
});
