import { randomBytes } from 'node:crypto';
import {
  guessableProductionSecret,
  guessableValue,
  isSequence,
  secretWeakness,
} from './secret-strength';
import { validateEnvironment } from './env.validation';

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

describe('guessableValue', () => {
  it.each([
    ['the .env.example admin password', 'change-me-please'],
    ["jwt.io's sample secret, padded to 32", 'your-256-bit-secret-your-256-bit'],
    ['the project name as a secret', 'flash-sale-jwt-secret-production'],
    ['the same in capitals with spaces around', '  FLASH-SALE-JWT-SECRET-PRODUCTION '],
  ])('names %s a published example', (_case, value) => {
    expect(guessableValue(value)).toBe('it is a published example value');
  });

  it.each([
    ['hex digits in order, twice', '0123456789abcdef0123456789abcdef'],
    ['the alphabet and digits', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['digits counting down', '9876543210987654'],
    ['a keyboard row', 'qwertyuiopasdfghjkl'],
    ['letters then digits', 'abcd1234'],
  ])('names %s a sequence', (_case, value) => {
    expect(isSequence(value)).toBe(true);
    expect(guessableValue(value)).toBe('it is a sequence of consecutive characters');
  });

  it('lets random secrets and ordinary passwords through', () => {
    for (let i = 0; i < 2_000; i += 1) {
      expect(guessableValue(randomBytes(48).toString('base64'))).toBeUndefined();
      expect(guessableValue(randomBytes(16).toString('hex'))).toBeUndefined();
      expect(guessableValue(randomBytes(12).toString('base64'))).toBeUndefined();
    }
    expect(guessableValue('correct horse battery staple')).toBeUndefined();
  });
});

describe('guessableProductionSecret', () => {
  const strong = randomBytes(48).toString('base64');

  it('names the variable that holds a guessable value', () => {
    expect(guessableProductionSecret({ JWT_SECRET: 'your-256-bit-secret-your-256-bit' })).toMatch(
      /^JWT_SECRET cannot be used in production: it is a published example value/,
    );
    expect(
      guessableProductionSecret({ JWT_SECRET: strong, ADMIN_PASSWORD: 'change-me-please' }),
    ).toMatch(/^ADMIN_PASSWORD cannot be used in production/);
  });

  it('accepts values of their own, and unset ones', () => {
    expect(
      guessableProductionSecret({ JWT_SECRET: strong, ADMIN_PASSWORD: 'Tr4mpoline!Dusk' }),
    ).toBeUndefined();
    expect(guessableProductionSecret({})).toBeUndefined();
  });
});

describe('validateEnvironment with guessable values', () => {
  const production = { NODE_ENV: 'production', MONGO_URI: 'mongodb://db/x' };
  const strong = randomBytes(48).toString('base64');

  it.each([
    'your-256-bit-secret-your-256-bit',
    'flash-sale-jwt-secret-production',
    '0123456789abcdef0123456789abcdef',
  ])('stops a production boot with JWT_SECRET=%s, naming it', (secret) => {
    expect(() => validateEnvironment({ ...production, JWT_SECRET: secret })).toThrow(
      /JWT_SECRET cannot be used in production/,
    );
  });

  it('stops a production boot with the .env.example admin password, naming it', () => {
    expect(() =>
      validateEnvironment({
        ...production,
        JWT_SECRET: strong,
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'change-me-please',
      }),
    ).toThrow(/ADMIN_PASSWORD cannot be used in production/);
  });

  it('keeps the examples usable outside production', () => {
    expect(() =>
      validateEnvironment({
        JWT_SECRET: 'your-256-bit-secret-your-256-bit',
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'change-me-please',
      }),
    ).not.toThrow();
  });
});
