import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EnvironmentVariables } from '../config/env.validation';

export const JWT_SECRET_KEY = Symbol('JWT_SECRET_KEY');

/** Git-ignored; made once per checkout so that tokens survive restarts of the dev loop. */
export const DEV_SECRET_FILE = '.data/dev-jwt-secret';

/**
 * The HS256 key as a KeyObject: jsonwebtoken first tries to parse a string secret as a PEM public key on
 * every verify (~0.7 ms); a KeyObject skips that (~12 us). Production must configure JWT_SECRET (the
 * config schema enforces it). In development a secret generated once into .data keeps tokens valid
 * across restarts with zero configuration; tests without one get a random per-process key.
 */
export function createJwtSecretKey(
  config: ConfigService<EnvironmentVariables, true>,
  devSecretFile = DEV_SECRET_FILE,
): KeyObject {
  const configured = config.get('JWT_SECRET', { infer: true });
  if (configured) return createSecretKey(Buffer.from(configured, 'utf8'));
  const logger = new Logger('Auth');
  if (config.get('NODE_ENV', { infer: true }) === 'development') {
    const secret = readOrCreateDevSecret(devSecretFile);
    logger.log(`JWT_SECRET is not set: using the development secret in ${devSecretFile}`);
    return createSecretKey(Buffer.from(secret, 'utf8'));
  }
  logger.warn('JWT_SECRET is not set: using a random secret for this process; tokens die with it');
  return createSecretKey(randomBytes(48));
}

function readOrCreateDevSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64');
  // Only the owner may read it; `wx` never overwrites a secret another process wrote meanwhile.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
  return secret;
}

/** jsonwebtoken reads a bare number as seconds but a digit-only string as milliseconds. */
export function toExpiresIn(value: string): number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` {
  return /^\d+$/.test(value) ? Number(value) : (value as `${number}h`);
}
