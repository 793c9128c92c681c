import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type Redis from 'ioredis';
import { once } from 'node:events';
import { EvalShaThrottlerStorage } from './evalsha-throttler.storage';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

/** After a failed Redis call, count locally this long before asking Redis again. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * Rate-limit counters shared by every instance through Redis (one EVALSHA per request, the
 * @nest-lab/throttler-storage-redis script) when REDIS_URL is set, else in process.
 *
 * A limit is a guard against abuse, not a judge of anything, so Redis never fails a request: while
 * the connection is not ready, or a call fails, that request is counted by this instance's own
 * fixed-window counters (each instance then allows the full limit on its own). After a failed call
 * it waits a second before asking Redis again, so a hung Redis costs one command timeout, not one per
 * request. Nothing is logged per request.
 */
export class SharedThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('Throttling');
  private readonly local = new FixedWindowThrottlerStorage();
  private skipRedisUntil = 0;
  private lastCallFailed = false;
  private failureLogged = false;

  constructor(
    private readonly redis: Redis | null,
    private readonly shared: ThrottlerStorage | undefined = redis
      ? new EvalShaThrottlerStorage(redis)
      : undefined,
  ) {}

  /**
   * Waits (at most `timeoutMs`) for the connection, so an instance starts with shared counters
   * when Redis answers; without it the instance starts on local counters and switches when it is up.
   */
  static async connect(redis: Redis | null, timeoutMs = 2_000): Promise<SharedThrottlerStorage> {
    if (redis && redis.status !== 'ready') {
      const timeout = AbortSignal.timeout(timeoutMs);
      await once(redis, 'ready', { signal: timeout }).catch(() => undefined);
    }
    return new SharedThrottlerStorage(redis);
  }

  /** True when the next request will be counted in Redis. */
  get isShared(): boolean {
    return this.redis?.status === 'ready' && Date.now() >= this.skipRedisUntil;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.shared && this.isShared) {
      const retry = this.lastCallFailed;
      try {
        const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
        this.lastCallFailed = this.failureLogged = false;
        return record;
      } catch (error) {
        this.onFailure(error as Error, retry);
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  private onFailure(error: Error, retry: boolean): void {
    this.lastCallFailed = true;
    this.skipRedisUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
    // A dropping connection fails the calls in flight, and RedisConnections reports the drop. A retry
    // that fails again on a connection that says it is ready is another trouble (a hung or read-only
    // Redis), reported here once until a call succeeds.
    if (!retry || this.failureLogged || this.redis?.status !== 'ready') return;
    this.failureLogged = true;
    this.logger.warn(
      `Redis rate-limit calls fail (${error.message}): counting per instance until they succeed again`,
    );
  }

  onModuleDestroy(): void {
    this.local.onModuleDestroy();
  }
}
