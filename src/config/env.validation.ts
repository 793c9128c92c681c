import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const TRANSACTION_MODES = ['auto', 'on', 'off'] as const;
export type TransactionMode = (typeof TRANSACTION_MODES)[number];

const isProduction = (env: EnvironmentVariables) => env.NODE_ENV === 'production';

/** Every variable the service reads. A bad value stops boot with the variable's name. */
export class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 5000;

  @ValidateIf((env: EnvironmentVariables) => isProduction(env) || env.MONGO_URI !== undefined)
  @Matches(/^mongodb(\+srv)?:\/\//, {
    message: 'MONGO_URI must be a mongodb:// or mongodb+srv:// URI',
  })
  MONGO_URI?: string;

  @IsIn(TRANSACTION_MODES)
  MONGO_TRANSACTIONS: TransactionMode = 'auto';

  // Production must bring its own secret; elsewhere a random per-process one is generated.
  @ValidateIf((env: EnvironmentVariables) => isProduction(env) || env.JWT_SECRET !== undefined)
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @Matches(/^\d+(ms|s|m|h|d)?$/, {
    message: 'JWT_EXPIRES_IN must look like 3600, 90s, 15m, 1h or 7d',
  })
  JWT_EXPIRES_IN = '1h';

  @Type(() => Number)
  @IsInt()
  @Min(4)
  @Max(15)
  BCRYPT_ROUNDS = 12;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_TTL = 60;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT = 100;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_AUTH_LIMIT = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_PURCHASE_LIMIT = 5;

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, {
    message: 'ADMIN_USERNAME must be 3-32 chars of [A-Za-z0-9_.-]',
  })
  ADMIN_USERNAME = 'admin';

  /** How long an unconfirmed purchase may stay pending before the reconciler treats it as abandoned. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  PURCHASE_PENDING_TIMEOUT_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  RECONCILE_INTERVAL_MS = 10_000;

  /** How long a purchase attempt may answer "not open" from the in-process cache without asking the database. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  SALE_CACHE_TTL_MS = 1_000;

  /** Origins allowed to call from a browser: comma-separated, or `*`; unset = any outside production. */
  @IsOptional()
  @Matches(/^\s*(\*|https?:\/\/[^\s,/]+)\s*(,\s*(\*|https?:\/\/[^\s,/]+)\s*)*$/, {
    message: 'CORS_ORIGINS must be * or comma-separated origins like https://shop.example.com',
  })
  CORS_ORIGINS?: string;

  /** The base URL clients use (behind a proxy); the OpenAPI `servers` entry. Unset = the request's origin. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL?: string;

  /** Where `npm start` keeps the embedded mongod's files (ignored by git). */
  @IsString()
  EMBEDDED_DB_PATH = '.data/mongod';
}

const crossFieldRules: Array<(env: EnvironmentVariables) => string | undefined> = [
  (env) =>
    (env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)
      ? 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together'
      : undefined,
  (env) =>
    isProduction(env) && env.BCRYPT_ROUNDS < 10
      ? 'BCRYPT_ROUNDS must be at least 10 in production'
      : undefined,
];

/** Empty values (`FOO=` in a .env file) mean "not set", so defaults apply. */
function dropEmptyValues(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
}

export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, dropEmptyValues(raw), {
    enableImplicitConversion: false,
    exposeDefaultValues: true,
  });
  const problems = validateSync(env).map(
    (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
  );
  for (const rule of crossFieldRules) {
    const problem = rule(env);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new Error(`Invalid environment configuration:\n  ${problems.join('\n  ')}`);
  }
  return env;
}
