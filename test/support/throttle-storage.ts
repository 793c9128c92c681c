import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getStorageToken } from '@nestjs/throttler';
import { randomBytes } from 'node:crypto';
import { SharedThrottlerStorage } from '../../src/common/throttling/shared-throttler.storage';
import { waitUntil } from './processes';

/**
 * A REDIS_PREFIX of its own for one test file, so files never share counters or channels; under the
 * run's prefix (test-redis.ts), so the run can delete exactly its own keys.
 */
export const testRedisPrefix = () =>
  `${process.env.TEST_REDIS_PREFIX ?? 'flash-sale-test:'}${randomBytes(4).toString('hex')}:`;

export function throttleStorageOf(app: NestFastifyApplication): SharedThrottlerStorage {
  return app.get<SharedThrottlerStorage>(getStorageToken(), { strict: false });
}

/** Waits until every app counts in Redis (`true`) or on its own (`false`). */
export async function waitUntilShared(
  apps: NestFastifyApplication[],
  shared: boolean,
  timeoutMs = 15_000,
): Promise<void> {
  await waitUntil(
    () => apps.every((app) => throttleStorageOf(app).isShared === shared),
    timeoutMs,
    `rate-limit counters ${shared ? 'shared through Redis' : 'back on each instance'}`,
  );
}
