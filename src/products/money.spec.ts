import { fromCents, toCents } from './money';

describe('money', () => {
  it.each([
    [0, 0],
    [0.1, 10],
    [19.99, 1999],
    [123456.78, 12345678],
  ])('stores %p as %p integer cents', (amount, cents) => {
    expect(toCents(amount)).toBe(cents);
  });

  it('answers every two-decimal amount below 1000 back as the same JSON number', () => {
    const mismatches: number[] = [];
    for (let cents = 0; cents < 100_000; cents += 1) {
      const amount = Number((cents / 100).toFixed(2));
      if (fromCents(toCents(amount)) !== amount) mismatches.push(amount);
    }
    expect(mismatches).toEqual([]);
  });
});
