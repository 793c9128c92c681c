import { ApiError } from '../common/errors/api-error';
import { AdmissionGate, type AdmissionSettings, type Attempt } from './admission-gate';
import { LocalPlaceCounter } from './local-place-counter';

const SALE = 'sale-1';

/** A database attempt the test finishes by hand: bought, refused or crashed. */
interface Held {
  buyer: number;
  buy(): void;
  fail(error?: unknown): void;
}

/**
 * A sale in memory as the purchase path keeps it: `remaining` drops when an attempt buys (as the
 * snapshot is told), and memory refuses SOLD_OUT exactly when nothing is left.
 */
function lab(settings: Partial<AdmissionSettings> = {}, stock = 3) {
  const counter = new LocalPlaceCounter();
  const gate = new AdmissionGate(counter, {
    enabled: true,
    margin: 1,
    maxInFlight: 1_000,
    queueCap: 1_000,
    maxWaitMs: 10_000,
    holdTimeoutMs: 10_000,
    ...settings,
  });
  const memory = { remaining: stock };
  const soldOut = () => new ApiError(409, 'SOLD_OUT', 'The sale is sold out');
  const inFlight: Held[] = [];
  const started: number[] = [];
  const answers = new Map<number, string>();
  let maxInFlight = 0;
  /** `stock + margin` at the moment each attempt was admitted, against the attempts then in flight. */
  const overBound: string[] = [];

  const recheck = () =>
    memory.remaining > 0 ? { remainingQuantity: memory.remaining } : soldOut();

  function attempt(buyer: number, clientGone?: AbortSignal): Promise<void> {
    const request: Attempt = { saleId: SALE, quantity: 1, recheck, clientGone };
    const judged = recheck();
    if (judged instanceof Error) {
      answers.set(buyer, 'SOLD_OUT');
      return Promise.resolve();
    }
    return gate
      .run(request, () => {
        started.push(buyer);
        maxInFlight = Math.max(maxInFlight, inFlight.length + 1);
        const bound = Math.max(memory.remaining, 0) + (settings.margin ?? 1);
        if (inFlight.length + 1 > bound)
          overBound.push(`buyer ${buyer}: ${inFlight.length + 1} > ${bound}`);
        return new Promise<string>((resolve, reject) => {
          const held: Held = {
            buyer,
            buy: () => {
              inFlight.splice(inFlight.indexOf(held), 1);
              if (memory.remaining <= 0) return reject(soldOut()); // the database's take said no
              memory.remaining -= 1;
              resolve('201');
            },
            fail: (error = new Error('connection lost')) => {
              inFlight.splice(inFlight.indexOf(held), 1);
              reject(error instanceof Error ? error : new Error(String(error)));
            },
          };
          inFlight.push(held);
        });
      })
      .then(
        (answer) => void answers.set(buyer, answer),
        (error: unknown) =>
          void answers.set(
            buyer,
            error instanceof ApiError ? error.body.code : (error as Error).message,
          ),
      );
  }

  return {
    gate,
    counter,
    memory,
    inFlight,
    started,
    answers,
    attempt,
    overBound,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** Lets every pending promise callback run (the gate's passes are chains of them). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

jest.setTimeout(5_000);

describe('AdmissionGate', () => {
  it('admits stock + margin at once and the rest in arrival order as places free up', async () => {
    const sale = lab({ margin: 1 }, 3);
    const all = Array.from({ length: 10 }, (_, buyer) => sale.attempt(buyer));
    await settle();
    expect(sale.started).toEqual([0, 1, 2, 3]);
    expect(sale.gate.waiting(SALE)).toBe(6);
    // Finish them out of order: the next place still goes to the next in line.
    sale.inFlight.find((held) => held.buyer === 2)!.buy();
    await settle();
    expect(sale.started).toEqual([0, 1, 2, 3]); // 2 left, 3 in flight: the bound is 2 + 1 = 3
    sale.inFlight.find((held) => held.buyer === 0)!.fail();
    await settle();
    expect(sale.started).toEqual([0, 1, 2, 3, 4]);
    sale.inFlight.find((held) => held.buyer === 3)!.buy();
    await settle();
    sale.inFlight.find((held) => held.buyer === 1)!.buy();
    await settle();
    // Sold out by the attempts in flight: the whole line hears SOLD_OUT from memory.
    await Promise.all(all.slice(0, 4));
    [...sale.inFlight].forEach((held) => held.buy());
    await Promise.all(all);
    expect(sale.started).toEqual([0, 1, 2, 3, 4]);
    expect([...sale.answers].sort(([a], [b]) => a - b)).toEqual([
      [0, 'connection lost'],
      [1, '201'],
      [2, '201'],
      [3, '201'],
      [4, 'SOLD_OUT'],
      ...[5, 6, 7, 8, 9].map((buyer) => [buyer, 'SOLD_OUT']),
    ]);
    expect(sale.overBound).toEqual([]);
    expect(sale.counter.held(SALE)).toBe(0);
  });

  it('never refuses a waiter while a unit could still be sold to it, and never exceeds the bound', async () => {
    // 40 buyers for 7 units; every third attempt in flight fails for a reason of its own.
    const sale = lab({ margin: 2 }, 7);
    const all = Array.from({ length: 40 }, (_, buyer) => sale.attempt(buyer));
    let round = 0;
    await settle();
    while (sale.inFlight.length > 0) {
      const held = sale.inFlight[0];
      if (round++ % 3 === 2) held.fail();
      else held.buy();
      await settle();
      // A waiter refused SOLD_OUT while the memory still had units would be a lost sale.
      const refused = [...sale.answers.values()].filter((a) => a === 'SOLD_OUT').length;
      if (refused > 0) expect(sale.memory.remaining).toBe(0);
    }
    await Promise.all(all);
    const bought = [...sale.answers.values()].filter((a) => a === '201').length;
    expect(bought).toBe(7);
    expect(sale.memory.remaining).toBe(0);
    expect(sale.overBound).toEqual([]);
    expect(sale.maxInFlight).toBeLessThanOrEqual(7 + 2);
    // Buyers were admitted in arrival order: the starts are increasing.
    expect(sale.started).toEqual([...sale.started].sort((a, b) => a - b));
  });

  it('caps the attempts in flight at maxInFlight whatever the stock', async () => {
    const sale = lab({ margin: 1, maxInFlight: 2 }, 10);
    const all = Array.from({ length: 6 }, (_, buyer) => sale.attempt(buyer));
    await settle();
    expect(sale.started).toEqual([0, 1]);
    sale.inFlight[0].buy();
    await settle();
    expect(sale.started).toEqual([0, 1, 2]);
    while (sale.inFlight.length > 0) {
      sale.inFlight[0].buy();
      await settle();
    }
    await Promise.all(all);
    expect(sale.maxInFlight).toBe(2);
    expect(sale.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes a waiter whose client disconnects out of the line at once, with no database work', async () => {
    const sale = lab({ margin: 1 }, 1);
    const first = sale.attempt(0);
    const gone = new AbortController();
    const second = sale.attempt(1, gone.signal);
    const third = sale.attempt(2);
    await settle();
    expect(sale.gate.waiting(SALE)).toBe(1 + 0); // 0 and 1 in flight (1 + margin 1), 2 waits
    expect(sale.started).toEqual([0, 1]);
    sale.inFlight[1].fail(); // 1 crashed: its place goes to 2
    await settle();
    expect(sale.started).toEqual([0, 1, 2]);
    const waiting = new AbortController();
    const fourth = sale.attempt(3, waiting.signal);
    await settle();
    expect(sale.gate.waiting(SALE)).toBe(1);
    waiting.abort();
    await fourth;
    expect(sale.answers.get(3)).toBe('PURCHASE_NOT_COMPLETED');
    expect(sale.gate.waiting(SALE)).toBe(0);
    [...sale.inFlight].forEach((held) => held.buy());
    await Promise.all([first, second, third]);
    expect(sale.started).toEqual([0, 1, 2]); // 3 never reached the database
    gone.abort(); // after its answer: nothing happens
  });

  it('does no database work for a client gone before its turn came', async () => {
    const sale = lab({ margin: 1 }, 5);
    const gone = new AbortController();
    gone.abort();
    await sale.attempt(0, gone.signal);
    expect(sale.answers.get(0)).toBe('PURCHASE_NOT_COMPLETED');
    expect(sale.started).toEqual([]);
    expect(sale.counter.held(SALE)).toBe(0);
  });

  it('answers 503 ADMISSION_WAIT_EXPIRED with Retry-After after the longest wait', async () => {
    const sale = lab({ margin: 1, maxWaitMs: 30 }, 1);
    void sale.attempt(0);
    void sale.attempt(1);
    const waiter = sale.gate.run(
      { saleId: SALE, quantity: 1, recheck: () => ({ remainingQuantity: 1 }) },
      () => Promise.resolve('201'),
    );
    const error = (await waiter.catch((e: unknown) => e)) as ApiError;
    expect(error.body).toMatchObject({ statusCode: 503, code: 'ADMISSION_WAIT_EXPIRED' });
    expect(error.retryAfterSeconds).toBe(1);
    expect(sale.gate.waiting(SALE)).toBe(0);
  });

  it('answers 503 ADMISSION_QUEUE_FULL beyond the cap of waiters per sale', async () => {
    const sale = lab({ margin: 1, queueCap: 2 }, 1);
    const all = [0, 1, 2, 3, 4].map((buyer) => sale.attempt(buyer));
    await settle();
    expect(sale.answers.get(4)).toBe('ADMISSION_QUEUE_FULL');
    expect(sale.gate.waiting(SALE)).toBe(2);
    [...sale.inFlight].forEach((held) => held.buy());
    await Promise.all(all);
    expect(sale.answers.get(2)).toBe('SOLD_OUT');
  });

  it('takes back the place of an attempt that hangs, after the hold timeout', async () => {
    const sale = lab({ margin: 1, holdTimeoutMs: 30 }, 1);
    void sale.attempt(0);
    void sale.attempt(1); // both hang
    const third = sale.attempt(2);
    await settle();
    expect(sale.started).toEqual([0, 1]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sale.started).toEqual([0, 1, 2]);
    sale.inFlight[2].buy();
    await third;
    expect(sale.answers.get(2)).toBe('201');
  });

  it('always admits one attempt to a sale with nothing in flight, whatever its estimate says', async () => {
    const sale = lab({ margin: 1 }, 2);
    sale.counter.recount(SALE, 0); // no count yet: ignored
    const first = sale.attempt(0);
    await settle();
    sale.counter.recount(SALE, -5); // an estimate that ran low
    sale.inFlight[0].fail();
    await first;
    const second = sale.attempt(1);
    await settle();
    expect(sale.started).toEqual([0, 1]);
    sale.inFlight[0].buy();
    await second;
  });

  it('lets every attempt through when switched off, except one whose client is gone', async () => {
    const counter = new LocalPlaceCounter();
    const gate = new AdmissionGate(counter, {
      enabled: false,
      margin: 1,
      maxInFlight: 1,
      queueCap: 1,
      maxWaitMs: 10,
      holdTimeoutMs: 10,
    });
    const recheck = () => ({ remainingQuantity: 0 });
    const answers = await Promise.all(
      [0, 1, 2].map((buyer) =>
        gate.run({ saleId: SALE, quantity: 1, recheck }, () => Promise.resolve(buyer)),
      ),
    );
    expect(answers).toEqual([0, 1, 2]);
    const gone = new AbortController();
    gone.abort();
    const work = jest.fn();
    await expect(
      gate.run({ saleId: SALE, quantity: 1, recheck, clientGone: gone.signal }, work),
    ).rejects.toMatchObject({ body: { code: 'PURCHASE_NOT_COMPLETED' } });
    expect(work).not.toHaveBeenCalled();
  });
});
