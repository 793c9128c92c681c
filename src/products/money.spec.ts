import { fromCents, isWholeCents, toCents } from './money';

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

  it.each([0, 0.1, 19.99, 129.99, 1_000_000_000])('takes %p as whole cents', (amount) => {
    expect(isWholeCents(amount)).toBe(true);
  });

  it.each([1e-7, 5e-324, 1.999, 0.001, NaN, Infinity, '10'])(
    'refuses %p without throwing',
    (amount) => {
      expect(isWholeCents(amount)).toBe(false);
    },
  );
});
