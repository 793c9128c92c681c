import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { IDLE_RESET_MS, type Limits, type Place } from './place-counter';

/**
 * One round trip per admission. KEYS: the sale's places (a sorted set: place id -> lease expiry) and its
 * stock estimate. Expired leases (an instance that died holding places) are dropped first; the estimate
 * is lowered to the caller's view and kept while the sale is busy.
 */
const TAKE = `
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local view = tonumber(ARGV[1])
local stock = tonumber(redis.call('GET', KEYS[2]))
if stock == nil or view < stock then stock = view end
redis.call('SET', KEYS[2], stock, 'PX', ARGV[5])
local held = redis.call('ZCARD', KEYS[1])
if held > 0 and held >= math.min(math.max(stock, 0) + tonumber(ARGV[2]), tonumber(ARGV[6])) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** Gives a place back; the units its attempt bought leave the estimate (if the sale is still busy). */
const GIVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('DECRBY', KEYS[2], ARGV[2])
end
return 1
`;

/** The reconciler's count replaces the estimate (only while the sale is busy: otherwise the next view sets it). */
const RECOUNT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return 1
`;

type ScriptedRedis = Redis & {
  admissionTake(...args: Array<string | number>): Promise<number>;
  admissionGive(...args: Array<string | number>): Promise<number>;
  admissionRecount(...args: Array<string | number>): Promise<number>;
};

/** A sale's keys share a hash tag, so a Redis Cluster keeps them in one slot (a script may touch both). */
const placesKey = (saleId: string) => `admission:{${saleId}}:places`;
const stockKey = (saleId: string) => `admission:{${saleId}}:stock`;

/** The count shared by every instance (REDIS_URL): EVALSHA through ioredis `defineCommand`. */
export class RedisPlaceCounter {
  private readonly redis: ScriptedRedis;
  private readonly instance = randomBytes(6).toString('hex');
  private nextId = 0;

  constructor(
    redis: Redis,
    private readonly leaseMs: number,
  ) {
    redis.defineCommand('admissionTake', { numberOfKeys: 2, lua: TAKE });
    redis.defineCommand('admissionGive', { numberOfKeys: 2, lua: GIVE });
    redis.defineCommand('admissionRecount', { numberOfKeys: 1, lua: RECOUNT });
    this.redis = redis as ScriptedRedis;
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  async take(saleId: string, view: number, limits: Limits): Promise<Place | null> {
    this.nextId += 1;
    const id = `${this.instance}-${this.nextId}`;
    const taken = await this.redis.admissionTake(
      placesKey(saleId),
      stockKey(saleId),
      view,
      limits.margin,
      id,
      this.leaseMs,
      IDLE_RESET_MS,
      limits.maxInFlight,
    );
    return taken === 1 ? { id, saleId, shared: true } : null;
  }

  async give(place: Place, soldUnits: number): Promise<void> {
    await this.redis.admissionGive(
      placesKey(place.saleId),
      stockKey(place.saleId),
      place.id,
      soldUnits,
    );
  }

  async recount(saleId: string, remaining: number): Promise<void> {
    await this.redis.admissionRecount(stockKey(saleId), remaining);
  }
}
