import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { EnvironmentVariables } from '../config/env.validation';

export const JWT_SECRET_KEY = Symbol('JWT_SECRET_KEY');

/**
 * The HS256 key as a KeyObject: jsonwebtoken first tries to parse a string secret as a PEM public key on
 * every verify (~0.7 ms); a KeyObject skips that (~12 us). Production must configure JWT_SECRET (the
 * config schema enforces it); elsewhere a random per-process key keeps the dev loop zero-config.
 */
export function createJwtSecretKey(config: ConfigService<EnvironmentVariables, true>): KeyObject {
  const configured = config.get('JWT_SECRET', { infer: true });
  if (configured) return createSecretKey(Buffer.from(configured, 'utf8'));
  new Logger('Auth').warn(
    'JWT_SECRET is not set: using a random secret for this process; tokens die with it',
  );
  return createSecretKey(randomBytes(48));
}

/** jsonwebtoken reads a bare number as seconds but a digit-only string as milliseconds. */
export function toExpiresIn(value: string): number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` {
  return /^\d+$/.test(value) ? Number(value) : (value as `${number}h`);
}
