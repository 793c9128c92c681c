import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

interface Window {
  hits: number;
  expiresAt: number;
  blockExpiresAt: number;
}

const SWEEP_INTERVAL_MS = 10_000;

/**
 * A fixed-window counter per key: O(1) time and memory per request.
 * The throttler's bundled storage keeps one timer per hit and filters per-key arrays, which grows
 * with the hit count (see issue 4); a flash sale is exactly the load where that hurts.
 */
@Injectable()
export class FixedWindowThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || (window.expiresAt <= now && window.blockExpiresAt <= now)) {
      window = { hits: 0, expiresAt: now + ttl, blockExpiresAt: 0 };
      this.windows.set(key, window);
    }
    const blocked = window.blockExpiresAt > now;
    if (!blocked) {
      window.hits += 1;
      if (window.hits > limit) window.blockExpiresAt = now + blockDuration;
    }
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.expiresAt - now) / 1000)),
      isBlocked: window.blockExpiresAt > now,
      timeToBlockExpire: Math.max(0, Math.ceil((window.blockExpiresAt - now) / 1000)),
    });
  }

  get size(): number {
    return this.windows.size;
  }

  sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.expiresAt <= now && window.blockExpiresAt <= now) this.windows.delete(key);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
