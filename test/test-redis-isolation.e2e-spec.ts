import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { itWhen } from './support/conditional-tests';
import { PrivateRedis, redisServerInstalled } from './support/private-redis';
import { portOpen } from './support/processes';
import { createTestApp, http, uniqueDatabaseName } from './support/test-app';
import { provideTestRedis, releaseTestRedis } from './support/test-redis';
import { testRedisPrefix, waitUntilShared } from './support/throttle-storage';

const MACHINE_REDIS = 'redis://127.0.0.1:6379';
const DATABASES = Array.from({ length: 16 }, (_, db) => db);
const RUN_VARIABLES = ['TEST_REDIS_URL', 'TEST_REDIS_PREFIX'];

/** Whether a Redis answers on the machine's default port (asked once, before the tests are defined). */
const machineRedisAnswers =
  spawnSync(process.execPath, [
    '-e',
    `const s = require('node:net').connect(6379, '127.0.0.1');
     s.setTimeout(1000, () => process.exit(1)); s.on('error', () => process.exit(1));
     s.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1)); s.write('PING\\r\\n');`,
  ]).status === 0;

/** A client whose connection errors reach the commands (which reject), not ioredis's "Unhandled error". */
function redisClient(url: string, db?: number): Redis {
  const client = new Redis(url, { db, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

/** "Someone else's" data: one uniquely named key in each of databases 0-15; only these are deleted. */
class Sentinels {
  readonly key = `someone-else:${randomBytes(6).toString('hex')}`;
  private readonly url: string;

  constructor(url: string) {
    // A database in the URL's path would win over the `db` option.
    const server = new URL(url);
    server.pathname = '';
    this.url = server.toString();
  }

  private async each<T>(work: (client: Redis, db: number) => Promise<T>): Promise<T[]> {
    return Promise.all(
      DATABASES.map(async (db) => {
        const client = redisClient(this.url, db);
        try {
          return await work(client, db);
        } finally {
          client.disconnect();
        }
      }),
    );
  }

  write = () => this.each((client, db) => client.set(this.key, `kept in db ${db}`));
  read = () => this.each((client) => client.get(this.key));
  remove = () => this.each((client) => client.del(this.key));
  expected = () => DATABASES.map((db) => `kept in db ${db}`);
}

async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const client = redisClient(url);
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}

/**
 * What `npm test` does with Redis, in this worker: the Redis part of jest's globalSetup, an app that
 * counts its rate limits in the run's Redis (as the multi-instance specs do), then the Redis part of
 * globalTeardown. `given` is the TEST_REDIS_URL a person would set. The run's own record and variables
 * are put back after (a single spec file runs in jest's own process). Answers what the run used and the
 * keys it had written.
 */
async function runTheSuitesRedis(given?: string) {
  const saved = Object.fromEntries(RUN_VARIABLES.map((name) => [name, process.env[name]]));
  const savedRun = globalThis.__TEST_REDIS__;
  for (const name of RUN_VARIABLES) delete process.env[name];
  if (given) process.env.TEST_REDIS_URL = given;
  try {
    await provideTestRedis();
    const used = { url: process.env.TEST_REDIS_URL!, prefix: process.env.TEST_REDIS_PREFIX ?? '' };
    let written: string[] = [];
    const app = await createTestApp(uniqueDatabaseName(), {
      REDIS_URL: used.url,
      REDIS_PREFIX: testRedisPrefix(),
    });
    try {
      await waitUntilShared([app], true);
      for (let i = 0; i < 3; i += 1) await http(app).get('/api/products').expect(200);
      written = await keysUnder(used.url, used.prefix);
    } finally {
      await app.close();
    }
    return { used, written };
  } finally {
    await releaseTestRedis();
    globalThis.__TEST_REDIS__ = savedRun;
    for (const name of RUN_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

describe("the suite's Redis touches only what it created (e2e)", () => {
  itWhen(machineRedisAnswers, `no Redis answers at ${MACHINE_REDIS}`)(
    "by default it starts its own redis-server: keys in databases 0-15 of the machine's Redis survive",
    async () => {
      const sentinels = new Sentinels(MACHINE_REDIS);
      await sentinels.write();
      try {
        const { used, written } = await runTheSuitesRedis();
        expect(await sentinels.read()).toEqual(sentinels.expected());
        expect(new URL(used.url).port).not.toBe('6379');
        expect(written.length).toBeGreaterThan(0); // the app did use it
        expect(await portOpen(Number(new URL(used.url).port))).toBe(false); // stopped at the end
      } finally {
        await sentinels.remove();
      }
    },
  );

  itWhen(redisServerInstalled, 'no redis-server binary to stand in for a shared Redis')(
    'pointed at another Redis (TEST_REDIS_URL) it writes under its own prefix and deletes only that',
    async () => {
      const shared = await PrivateRedis.start();
      const sentinels = new Sentinels(shared.url);
      try {
        await sentinels.write();
        const { used, written } = await runTheSuitesRedis(shared.url);
        expect(await sentinels.read()).toEqual(sentinels.expected());
        expect(used.url).toBe(shared.url);
        expect(used.prefix).toMatch(/^flash-sale-test:/);
        expect(written.length).toBeGreaterThan(0);
        expect(written.every((key) => key.startsWith(used.prefix))).toBe(true);
        expect(await keysUnder(shared.url, used.prefix)).toEqual([]);
      } finally {
        await shared.stop();
      }
    },
  );
});
