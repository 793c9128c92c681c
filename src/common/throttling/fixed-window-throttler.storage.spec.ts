import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe('FixedWindowThrottlerStorage', () => {
  let storage: FixedWindowThrottlerStorage;
  let now: number;

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    storage = new FixedWindowThrottlerStorage();
  });
  afterEach(() => {
    storage.onModuleDestroy();
    jest.restoreAllMocks();
  });

  const hit = (key = 'k') => storage.increment(key, 60_000, 3, 60_000, 'default');

  it('counts hits in a window and blocks past the limit until the block expires', async () => {
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
    await hit();
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    now += 30_001;
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps keys apart', async () => {
    for (let i = 0; i < 4; i += 1) await hit('a');
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps one small record per key however many hits arrive, and sweeps expired ones', async () => {
    for (let i = 0; i < 10_000; i += 1)
      await storage.increment('hot', 60_000, 1_000_000, 60_000, 'default');
    await hit('cold');
    expect(storage.size).toBe(2);
    now += 60_001;
    storage.sweep(now);
    expect(storage.size).toBe(0);
  });
});
