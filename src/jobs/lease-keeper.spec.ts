import { LeaseKeeper, type LeaseStore } from './lease-keeper';

/** The store's rule (lease-store.ts) over one in-memory document, with a switch to fail like a dead database. */
class MemoryLeaseStore implements LeaseStore {
  doc: { holder: string; expiresAt: number } | undefined;
  down = false;

  take(holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('database unreachable'));
    if (this.doc && this.doc.holder !== holder && this.doc.expiresAt > now.getTime()) {
      return Promise.resolve(false);
    }
    this.doc = { holder, expiresAt: expiresAt.getTime() };
    return Promise.resolve(true);
  }

  release(holder: string, now: Date): Promise<void> {
    if (this.doc?.holder === holder) this.doc.expiresAt = now.getTime();
    return Promise.resolve();
  }
}

describe('LeaseKeeper', () => {
  const TTL = 1_500;
  let now: number;
  let store: MemoryLeaseStore;
  let a: LeaseKeeper;
  let b: LeaseKeeper;

  beforeEach(() => {
    now = 1_000_000;
    store = new MemoryLeaseStore();
    a = new LeaseKeeper(store, 'a', TTL, () => now);
    b = new LeaseKeeper(store, 'b', TTL, () => now);
  });

  it('gives the lease to the first taker only, and reports the change once', async () => {
    expect(await a.step()).toEqual({ change: 'gained' });
    expect(await b.step()).toEqual({ change: 'none' });
    expect([a.held, b.held]).toEqual([true, false]);
    now += TTL / 3;
    expect(await a.step()).toEqual({ change: 'none' });
    expect(a.held).toBe(true);
  });

  it('keeps the lease with its holder while renewals come in time', async () => {
    await a.step();
    for (let i = 0; i < 10; i += 1) {
      now += TTL / 3;
      await a.step();
      await b.step();
      expect([a.held, b.held]).toEqual([true, false]);
    }
  });

  it('lets another instance take over once a silent holder lets it run out, not before', async () => {
    await a.step();
    now += TTL - 1;
    await b.step();
    expect(b.held).toBe(false);
    now += 1;
    expect(a.held).toBe(false); // the old holder stops by its own clock at the same instant
    expect(await b.step()).toEqual({ change: 'gained' });
    expect(await a.step()).toEqual({ change: 'lost', reason: 'another instance holds the lease' });
  });

  it('stops running the jobs when it cannot renew, when the lease runs out, and says why', async () => {
    await a.step();
    store.down = true;
    now += TTL / 3;
    expect(await a.step()).toEqual({ change: 'none' });
    expect(a.held).toBe(true); // still its own until the expiry it wrote
    now += TTL;
    expect(await a.step()).toEqual({
      change: 'lost',
      reason: 'the lease could not be renewed (database unreachable) and ran out',
    });
    store.down = false;
    expect(await a.step()).toEqual({ change: 'gained' });
  });

  it('releases at shutdown so a successor takes it at once', async () => {
    await a.step();
    expect(await a.release()).toEqual({ change: 'lost', reason: 'released at shutdown' });
    expect(await b.step()).toEqual({ change: 'gained' });
  });

  it('releases nothing it does not hold', async () => {
    await a.step();
    expect(await b.release()).toEqual({ change: 'none' });
    expect(store.doc?.holder).toBe('a');
    expect(a.held).toBe(true);
  });
});
