import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { SharedThrottlerStorage } from './shared-throttler.storage';

const RECORD = { totalHits: 7, timeToExpire: 50, isBlocked: false, timeToBlockExpire: 0 };

describe('SharedThrottlerStorage', () => {
  let now: number;
  let redis: { status: string };
  let shared: { increment: jest.Mock };
  let warn: jest.SpyInstance;
  let storage: SharedThrottlerStorage;

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    redis = { status: 'ready' };
    shared = { increment: jest.fn().mockResolvedValue(RECORD) };
    storage = new SharedThrottlerStorage(redis as unknown as Redis, shared);
  });
  afterEach(() => {
    storage.onModuleDestroy();
    jest.restoreAllMocks();
  });

  const hit = () => storage.increment('k', 60_000, 3, 60_000, 'default');

  it('counts in Redis while the connection is ready', async () => {
    expect(await hit()).toEqual(RECORD);
    expect(shared.increment).toHaveBeenCalledWith('k', 60_000, 3, 60_000, 'default');
    expect(storage.isShared).toBe(true);
  });

  it('counts in process without asking Redis while the connection is down', async () => {
    redis.status = 'reconnecting';
    expect(storage.isShared).toBe(false);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2 });
    expect(shared.increment).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('answers a failed Redis call from local counters and asks Redis again a second later', async () => {
    shared.increment.mockRejectedValue(new Error('Command timed out'));
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2 });
    expect(shared.increment).toHaveBeenCalledTimes(1); // the second hit did not wait for Redis again
    now += 1_000;
    expect(await hit()).toMatchObject({ totalHits: 3 });
    expect(shared.increment).toHaveBeenCalledTimes(2);
    shared.increment.mockResolvedValue(RECORD);
    now += 1_000;
    expect(await hit()).toEqual(RECORD);
  });

  it('leaves a dropped connection to RedisConnections and logs a retry failing on a live one, once', async () => {
    shared.increment.mockRejectedValue(new Error("Stream isn't writeable"));
    await Promise.all([hit(), hit(), hit()]); // in flight when the connection drops
    expect(warn).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i += 1) {
      now += 1_000;
      await hit();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Stream isn't writeable/);

    shared.increment.mockResolvedValue(RECORD);
    now += 1_000;
    await hit();
    shared.increment.mockRejectedValue(new Error('READONLY'));
    now += 1_000;
    await hit();
    now += 1_000;
    await hit();
    expect(warn).toHaveBeenCalledTimes(2); // failing again after a success is a new episode
    expect(warn.mock.calls[1][0]).toMatch(/READONLY/);
  });

  it('does not log a retry that fails because the connection is dropping', async () => {
    shared.increment.mockRejectedValue(new Error('Command timed out'));
    await hit();
    now += 1_000;
    shared.increment.mockImplementation(() => {
      redis.status = 'reconnecting';
      return Promise.reject(new Error('Connection is closed.'));
    });
    await hit();
    expect(shared.increment).toHaveBeenCalledTimes(2);
    expect(warn).not.toHaveBeenCalled();
  });

  it('blocks past the limit on local counters too, so an outage never lifts a limit', async () => {
    redis.status = 'end';
    for (let i = 0; i < 3; i += 1) await hit();
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
  });

  it('counts in process when no REDIS_URL is set', async () => {
    const alone = new SharedThrottlerStorage(null);
    try {
      expect(alone.isShared).toBe(false);
      expect(await alone.increment('k', 60_000, 3, 60_000, 'default')).toMatchObject({
        totalHits: 1,
      });
    } finally {
      alone.onModuleDestroy();
    }
  });
});
