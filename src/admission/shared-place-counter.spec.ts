import { Logger } from '@nestjs/common';
import { LocalPlaceCounter } from './local-place-counter';
import type { Place } from './place-counter';
import type { RedisPlaceCounter } from './redis-place-counter';
import { SharedPlaceCounter } from './shared-place-counter';

/** A Redis count the test switches between answering and failing. */
function fakeRedis() {
  const state = { ready: true, failing: false, held: 0 };
  const shared = {
    get ready() {
      return state.ready;
    },
    take: jest.fn((saleId: string) => {
      if (state.failing) return Promise.reject(new Error('Connection is closed.'));
      state.held += 1;
      return Promise.resolve<Place>({ id: `r${state.held}`, saleId, shared: true });
    }),
    give: jest.fn(() => {
      state.held -= 1;
      return state.failing ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve();
    }),
    recount: jest.fn(() => Promise.resolve()),
  };
  return { state, shared: shared as unknown as RedisPlaceCounter & typeof shared };
}

const LIMITS = { margin: 1, maxInFlight: 100 };

describe('SharedPlaceCounter', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('counts in Redis while it answers, and gives a place back where it was taken', async () => {
    const { shared } = fakeRedis();
    const local = new LocalPlaceCounter();
    const counter = new SharedPlaceCounter(shared, local);
    const place = (await counter.take('s', 5, LIMITS))!;
    expect(place.shared).toBe(true);
    counter.give(place, 1);
    expect(shared.give).toHaveBeenCalledWith(place, 1);
    expect(local.held('s')).toBe(0);
    local.close();
  });

  it('counts alone while Redis fails, with one log line per outage, and shares again after it', async () => {
    const { state, shared } = fakeRedis();
    const local = new LocalPlaceCounter();
    let now = 0;
    const counter = new SharedPlaceCounter(shared, local, () => now);
    state.failing = true;
    const first = (await counter.take('s', 1, LIMITS))!;
    const second = counter.take('s', 1, LIMITS) as Place | null; // within the second after a failure: no call
    expect([first.shared, second?.shared]).toEqual([false, false]);
    expect(counter.take('s', 1, LIMITS)).toBeNull(); // the local bound: 1 + margin 1
    expect(shared.take).toHaveBeenCalledTimes(1);
    state.ready = false;
    now += 5_000;
    expect(counter.take('t', 1, LIMITS)).not.toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    counter.give(first, 0);
    expect(local.held('s')).toBe(1);
    state.ready = true;
    state.failing = false;
    const back = (await counter.take('s', 1, LIMITS))!;
    expect(back.shared).toBe(true);
    expect(log).toHaveBeenCalledTimes(1);
    state.failing = true;
    now += 5_000;
    await counter.take('s', 1, LIMITS);
    expect(warn).toHaveBeenCalledTimes(2); // a second outage, a second line
    local.close();
  });
});
