import type { ConfigService } from '@nestjs/config';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentVariables } from '../config/env.validation';
import { createJwtSecretKey, toExpiresIn } from './jwt-secret';

describe('toExpiresIn', () => {
  it('reads bare digits as seconds, not milliseconds', () => {
    expect(toExpiresIn('3600')).toBe(3600);
  });

  it('passes unit strings through', () => {
    expect(toExpiresIn('15m')).toBe('15m');
    expect(toExpiresIn('1h')).toBe('1h');
  });
});

describe('createJwtSecretKey without JWT_SECRET', () => {
  const config = (env: Record<string, string | undefined>) =>
    ({ get: (key: string) => env[key] }) as unknown as ConfigService<EnvironmentVariables, true>;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jwt-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('in development, generates the secret once into the data folder and reuses it', () => {
    const file = join(dir, 'nested', 'dev-jwt-secret');
    const first = createJwtSecretKey(config({ NODE_ENV: 'development' }), file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = createJwtSecretKey(config({ NODE_ENV: 'development' }), file);
    expect(second.export().equals(first.export())).toBe(true);
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
  });

  it('elsewhere, uses a random key per process and writes nothing', () => {
    const file = join(dir, 'dev-jwt-secret');
    const a = createJwtSecretKey(config({ NODE_ENV: 'test' }), file);
    const b = createJwtSecretKey(config({ NODE_ENV: 'test' }), file);
    expect(a.export().equals(b.export())).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('a configured JWT_SECRET always wins', () => {
    const file = join(dir, 'dev-jwt-secret');
    const secret = 'a-configured-secret-of-at-least-32-chars';
    const key = createJwtSecretKey(config({ NODE_ENV: 'development', JWT_SECRET: secret }), file);
    expect(key.export().toString()).toBe(secret);
    expect(existsSync(file)).toBe(false);
  });
});
