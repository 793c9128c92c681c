import { verifiedClaims } from './access-token-claims';

describe('verifiedClaims', () => {
  const good = {
    sub: '665f1c2e9b1e8a3f4c0d1234',
    username: 'alice',
    role: 'user',
    exp: 2_000_000_000,
  };

  it('turns the claims this service issues into the bearer', () => {
    expect(verifiedClaims(good)).toEqual({
      id: good.sub,
      username: 'alice',
      role: 'user',
      tokenExpiresAt: 2_000_000_000_000,
    });
  });

  it.each([
    ['no exp', { exp: undefined }],
    ['a string exp', { exp: '2000000000' }],
    ['a numeric sub', { sub: 12345 }],
    ['no sub', { sub: undefined }],
    ['an upper-case or short sub', { sub: '665F1C2E9B1E8A3F4C0D1234' }],
    ['an unknown role', { role: 'superuser' }],
    ['no username', { username: undefined }],
  ])('refuses %s', (_case, change) => {
    expect(verifiedClaims({ ...good, ...change })).toBeUndefined();
  });
});
