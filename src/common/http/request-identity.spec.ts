import { budgetAddress, canonicalizeRouteIds } from './request-identity';

describe('budgetAddress', () => {
  it('keeps an IPv4 address as it is, also when mapped into IPv6', () => {
    expect(budgetAddress('203.0.113.7', 64)).toBe('203.0.113.7');
    expect(budgetAddress('::ffff:203.0.113.7', 64)).toBe('203.0.113.7');
  });

  it('counts every IPv6 address of one /64 as one client, another /64 as another', () => {
    const first = budgetAddress('2001:db8:1:2::1', 64);
    expect(first).toBe('2001:db8:1:2::/64');
    expect(budgetAddress('2001:db8:1:2:ffff:ffff:ffff:ffff', 64)).toBe(first);
    expect(budgetAddress('2001:DB8:1:2:0:0:0:abc', 64)).toBe(first);
    expect(budgetAddress('2001:db8:1:3::1', 64)).not.toBe(first);
  });

  it('follows the configured prefix; 128 keeps each address alone', () => {
    expect(budgetAddress('2001:db8:1:2::1', 48)).toBe('2001:db8:1::/48');
    expect(budgetAddress('2001:db8::1', 128)).toBe('2001:db8::1');
    expect(budgetAddress('::1', 64)).toBe('::/64');
  });

  it('leaves what is not an IP address alone', () => {
    expect(budgetAddress('', 64)).toBe('');
    expect(budgetAddress('not:an:address', 64)).toBe('not:an:address');
  });
});

describe('canonicalizeRouteIds', () => {
  it('lower-cases every parameter shaped like an object id and nothing else', () => {
    const params = { id: '665F1C2E9B1E8A3F4C0D1234', other: 'ABC', short: 'ABCDEF' };
    canonicalizeRouteIds(params);
    expect(params).toEqual({ id: '665f1c2e9b1e8a3f4c0d1234', other: 'ABC', short: 'ABCDEF' });
  });

  it('takes routes without parameters', () => {
    expect(() => canonicalizeRouteIds(undefined)).not.toThrow();
    expect(() => canonicalizeRouteIds({})).not.toThrow();
  });
});
