import { releaseRedisDatabase } from './redis-database';

export default async function globalTeardown(): Promise<void> {
  const redis = globalThis.__TEST_REDIS__;
  if (redis) await releaseRedisDatabase(redis.base, redis.url, redis.owner).catch(() => undefined);
  await globalThis.__TEST_DATABASE__?.stop();
}
