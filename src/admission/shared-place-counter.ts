import { Logger } from '@nestjs/common';
import { LocalPlaceCounter } from './local-place-counter';
import type { Limits, Place, PlaceCounter } from './place-counter';
import type { RedisPlaceCounter } from './redis-place-counter';

/** After a failed Redis call, count locally this long before asking Redis again. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * The shared count while Redis answers, the instance's own count while it does not. The database's
 * conditional take judges every purchase either way, so counting alone can cost extra attempts in
 * flight (each instance admits up to the bound), never a unit sold twice. One log line when the count
 * goes local, one when it is shared again.
 */
export class SharedPlaceCounter implements PlaceCounter {
  private readonly logger = new Logger('AdmissionGate');
  private skipRedisUntil = 0;
  private countingAlone = false;

  constructor(
    private readonly shared: RedisPlaceCounter,
    private readonly local: LocalPlaceCounter,
    private readonly now: () => number = Date.now,
  ) {}

  take(saleId: string, view: number, limits: Limits): Promise<Place | null> | Place | null {
    if (!this.shared.ready || this.now() < this.skipRedisUntil) {
      this.goLocal('Redis is not connected');
      return this.local.take(saleId, view, limits);
    }
    return this.shared.take(saleId, view, limits).then(
      (place) => {
        this.goShared();
        return place;
      },
      (error: Error) => {
        this.skipRedisUntil = this.now() + RETRY_AFTER_FAILURE_MS;
        this.goLocal(error.message);
        return this.local.take(saleId, view, limits);
      },
    );
  }

  give(place: Place, soldUnits: number): void {
    if (!place.shared) return this.local.give(place, soldUnits);
    // Lost with Redis, the place expires with its lease there.
    this.shared.give(place, soldUnits).catch(() => undefined);
  }

  recount(saleId: string, remaining: number): void {
    this.local.recount(saleId, remaining);
    this.shared.recount(saleId, remaining).catch(() => undefined);
  }

  private goLocal(why: string): void {
    if (this.countingAlone) return;
    this.countingAlone = true;
    this.logger.warn(
      `admission counts per instance (${why}): each instance admits up to the bound on its own until Redis answers again`,
    );
  }

  private goShared(): void {
    if (!this.countingAlone) return;
    this.countingAlone = false;
    this.logger.log('admission counts are shared through Redis again');
  }
}
