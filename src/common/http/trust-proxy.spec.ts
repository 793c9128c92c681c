import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it('reads false and true', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy(' true ')).toBe(true);
  });

  it('reads a hop count, 0 meaning none', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('0')).toBe(false);
  });

  it('reads a comma-separated list of addresses, CIDRs and named ranges', () => {
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each([
    'yes',
    '-1',
    '1.5',
    '100',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/8/1',
    '10.0.0.256',
    'proxy.example.com',
    '10.0.0.1,,10.0.0.2',
    '',
  ])('refuses %j', (value) => {
    expect(parseTrustProxy(value)).toBeUndefined();
  });
});
