import { isLocalCaller } from './local-caller';

describe('isLocalCaller', () => {
  it('takes a loopback socket with no forwarded address, or only loopback ones', () => {
    expect(isLocalCaller('127.0.0.1', undefined)).toBe(true);
    expect(isLocalCaller('::1', '127.0.0.1')).toBe(true);
    expect(isLocalCaller('::ffff:127.0.0.1', ['127.0.0.1', '::1, 127.0.0.1'])).toBe(true);
  });

  it('refuses a remote socket whatever X-Forwarded-For says', () => {
    expect(isLocalCaller('203.0.113.9', '127.0.0.1')).toBe(false);
    expect(isLocalCaller('203.0.113.9', undefined)).toBe(false);
    expect(isLocalCaller(undefined, undefined)).toBe(false);
  });

  it('refuses a loopback socket that forwards any other address', () => {
    expect(isLocalCaller('127.0.0.1', '127.0.0.1, 203.0.113.9')).toBe(false);
    expect(isLocalCaller('127.0.0.1', '203.0.113.9')).toBe(false);
    expect(isLocalCaller('127.0.0.1', '')).toBe(false);
  });
});
