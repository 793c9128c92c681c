import Redis from 'ioredis';

/**
 * One Redis database number per test run, claimed with SET NX on db 0 so that two runs on one machine
 * (a session's and CI's, say) never share counters or channels. Each test file then adds its own
 * REDIS_PREFIX. Databases 1-15 are candidates; 0 is left to `npm start` defaults.
 */
const CLAIM_TTL_SECONDS = 2 * 60 * 60;
const claimKey = (db: number) => `flash-sale-test:claim:${db}`;

export async function claimRedisDatabase(baseUrl: string, owner: string): Promise<string | null> {
  const control = new Redis(baseUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
  });
  try {
    await control.connect();
    for (let db = 1; db <= 15; db += 1) {
      if ((await control.set(claimKey(db), owner, 'EX', CLAIM_TTL_SECONDS, 'NX')) !== 'OK')
        continue;
      const url = new URL(baseUrl);
      url.pathname = `/${db}`;
      await flush(url.toString());
      return url.toString();
    }
    throw new Error('all Redis databases 1-15 are claimed by other test runs');
  } catch (error) {
    if ((error as Error).message.startsWith('all Redis')) throw error;
    return null; // no Redis answering
  } finally {
    control.disconnect();
  }
}

export async function releaseRedisDatabase(baseUrl: string, claimedUrl: string, owner: string) {
  const db = Number(new URL(claimedUrl).pathname.slice(1));
  await flush(claimedUrl);
  const control = new Redis(baseUrl, { maxRetriesPerRequest: 0 });
  try {
    if ((await control.get(claimKey(db))) === owner) await control.del(claimKey(db));
  } finally {
    control.disconnect();
  }
}

async function flush(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}
