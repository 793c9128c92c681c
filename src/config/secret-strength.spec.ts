import { randomBytes } from 'node:crypto';
import { secretWeakness } from './secret-strength';

describe('secretWeakness', () => {
  it.each([
    ['32 spaces', ' '.repeat(32)],
    ['32 x a', 'a'.repeat(32)],
    ['a repeated pair', 'ab'.repeat(20)],
    ['a repeated 8-character word', 'password'.repeat(4)],
  ])('refuses %s', (_case, secret) => {
    expect(secretWeakness(secret)).toEqual(expect.any(String));
  });

  it('accepts random secrets as openssl makes them', () => {
    for (let i = 0; i < 50; i += 1) {
      expect(secretWeakness(randomBytes(48).toString('base64'))).toBeUndefined();
      expect(secretWeakness(randomBytes(16).toString('hex'))).toBeUndefined();
    }
  });
});
