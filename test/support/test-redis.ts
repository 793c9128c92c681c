import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { PrivateRedis, redisServerInstalled } from './private-redis';

declare global {
  var __TEST_REDIS__: { url: string; prefix: string; server?: PrivateRedis } | undefined;
}

/**
 * Redis for the multi-instance specs, chosen once per run by jest's globalSetup and handed to workers
 * as TEST_REDIS_URL and TEST_REDIS_PREFIX. By default the run starts a redis-server of its own (Debian's
 * binary) on a free port and stops it at the end, so no other Redis is ever touched. TEST_REDIS_URL
 * points the run at another server instead: it then writes only keys under its own prefix (every spec's
 * REDIS_PREFIX starts with it) and deletes only those at the end; it never flushes a database.
 * Returns a line for the run's banner.
 */
export async function provideTestRedis(): Promise<string> {
  const prefix = `flash-sale-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
  const given = process.env.TEST_REDIS_URL;
  if (given) {
    globalThis.__TEST_REDIS__ = { url: given, prefix };
    process.env.TEST_REDIS_PREFIX = prefix;
    return `${given} (TEST_REDIS_URL), keys under ${prefix}`;
  }
  if (!redisServerInstalled) {
    const reason = 'no redis-server binary and no TEST_REDIS_URL';
    if (process.env.CI) throw new Error(`CI: ${reason} (.ci/run installs redis-server)`);
    return `${reason}: Redis specs skipped`;
  }
  const server = await PrivateRedis.start();
  globalThis.__TEST_REDIS__ = { url: server.url, prefix, server };
  process.env.TEST_REDIS_URL = server.url;
  process.env.TEST_REDIS_PREFIX = prefix;
  return `${server.url} (a redis-server of this run's own, stopped at the end)`;
}

/** globalTeardown: stops the run's own server, or deletes the run's keys from the server it was given. */
export async function releaseTestRedis(): Promise<void> {
  const redis = globalThis.__TEST_REDIS__;
  globalThis.__TEST_REDIS__ = undefined;
  if (!redis) return;
  if (redis.server) await redis.server.stop();
  else await deleteKeysUnder(redis.url, redis.prefix);
}

async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true });
  client.on('error', () => undefined); // an unreachable server leaves nothing to delete
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // The keys expire (rate-limit windows) or stay under a prefix nobody else uses.
  } finally {
    client.disconnect();
  }
}
