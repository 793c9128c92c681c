import 'reflect-metadata';
import { availableParallelism } from 'node:os';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { parseTrustProxy, TRUST_PROXY_HINT } from '../common/http/trust-proxy';
import { passwordProblem } from '../common/validation/password-policy';
import { guessableProductionSecret, secretWeakness } from './secret-strength';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const TRANSACTION_MODES = ['auto', 'on', 'off'] as const;
export type TransactionMode = (typeof TRANSACTION_MODES)[number];
export const HEALTH_DETAIL_MODES = ['all', 'local', 'none'] as const;
export type HealthDetailMode = (typeof HEALTH_DETAIL_MODES)[number];

/** "true"/"false" (and 1/0) from the environment; anything else stays as is and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

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

  /** The address to bind: 0.0.0.0 (all IPv4 interfaces), :: (all), 127.0.0.1 (this machine only). */
  @Matches(/^(?:[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9][A-Za-z0-9.-]*)$/, {
    message: 'HOST must be an IP address or a host name, e.g. 0.0.0.0 or 127.0.0.1',
  })
  HOST = '0.0.0.0';

  @ValidateIf((env: EnvironmentVariables) => isProduction(env) || env.MONGO_URI !== undefined)
  @Matches(/^mongodb(\+srv)?:\/\//, {
    message: 'MONGO_URI must be a mongodb:// or mongodb+srv:// URI',
  })
  MONGO_URI?: string;

  @IsIn(TRANSACTION_MODES)
  MONGO_TRANSACTIONS: TransactionMode = 'auto';

  /**
   * Write concern of the ledger's writes (sales' counters, purchases) outside transactions: empty means
   * majority on a replica set or mongos and the server's default on a standalone.
   */
  @Matches(/^(|majority|[1-9]\d?)$/, {
    message: 'LEDGER_WRITE_CONCERN must be empty, majority or a number of members (1-99)',
  })
  LEDGER_WRITE_CONCERN = '';

  // Production must bring its own secret; elsewhere a random per-process one is generated.
  @ValidateIf((env: EnvironmentVariables) => isProduction(env) || env.JWT_SECRET !== undefined)
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @Matches(/^\d+(ms|s|m|h|d)?$/, {
    message: 'JWT_EXPIRES_IN must look like 3600, 90s, 15m, 1h or 7d',
  })
  JWT_EXPIRES_IN = '1h';

  /** `iss` put into every token and required on every token. */
  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'flash-sale';

  /** `aud` put into every token and required on every token. */
  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'flash-sale-api';

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

  /** Requests refused for a missing or bad token, per IP per window, before that IP gets 429s. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_AUTH_FAILURE_LIMIT = 20;

  /** GET /health per IP per window: generous for probes and load balancers. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_HEALTH_LIMIT = 600;

  /** Per-address budgets count an IPv6 client by this many leading bits (one subscriber holds a /64). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(128)
  THROTTLE_IPV6_PREFIX = 64;

  /** Largest request body, bytes (413 PAYLOAD_TOO_LARGE above it). */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /** Deepest JSON nesting accepted (400 JSON_TOO_DEEP beyond it), checked before parsing. */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(256)
  JSON_MAX_DEPTH = 32;

  /** The whole request (headers and body) must arrive within this (408 REQUEST_TIMEOUT). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  REQUEST_TIMEOUT_MS = 10_000;

  /** The headers must arrive within this (408 REQUEST_TIMEOUT); at most REQUEST_TIMEOUT_MS. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  HEADERS_TIMEOUT_MS = 5_000;

  /** A socket with no traffic at all for this long is closed (also one whose request is still being handled). */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  SOCKET_IDLE_TIMEOUT_MS = 60_000;

  /** How long an idle keep-alive connection stays open between requests. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  KEEP_ALIVE_TIMEOUT_MS = 5_000;

  /** Requests served on one keep-alive connection before it is closed; 0 = no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  MAX_REQUESTS_PER_SOCKET = 0;

  /** Open connections at once; further ones are closed on arrival. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_CONNECTIONS = 10_000;

  /** Serve Swagger UI (/api-docs) and the OpenAPI download (/api-doc). Default: on, except in production. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SWAGGER_ENABLED must be true or false' })
  SWAGGER_ENABLED?: boolean;

  /** Who sees the database engine in GET /health: all, local (this machine), none. Default: none in production, else local. */
  @IsOptional()
  @IsIn(HEALTH_DETAIL_MODES)
  HEALTH_DETAILS?: HealthDetailMode;

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  // The same policy as registration (src/common/validation/password-policy.ts), checked below.
  @IsOptional()
  @IsString()
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

  /** How often the reconciler abandons stale attempts and audits the counters of sales that changed. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  RECONCILE_INTERVAL_MS = 5_000;

  /**
   * How long a purchase may keep retrying a transaction that lost a write conflict (with jittered
   * backoff) before it answers 503 PURCHASE_NOT_COMPLETED with nothing kept.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120_000)
  TRANSACTION_RETRY_TIMEOUT_MS = 10_000;

  /** How long a purchase attempt may answer "not open" from the in-process cache without asking the database. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  SALE_CACHE_TTL_MS = 1_000;

  /**
   * Answer purchase attempts that memory can refuse (sold out, not started, ended, already bought,
   * throttled) before the router, with the same answers; `false` sends every attempt the ordinary way.
   */
  @Transform(toBoolean)
  @IsBoolean({ message: 'PURCHASE_FAST_LANE must be true or false' })
  PURCHASE_FAST_LANE = true;

  // The admission gate (src/admission, docs/purchase-algorithm.md "The admission gate").
  /** Hold purchase attempts beyond `remaining + ADMISSION_MARGIN` per sale in line; `false` lets every attempt through. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'ADMISSION_GATE must be true or false' })
  ADMISSION_GATE = true;

  /** Attempts in flight to the database per sale beyond its remaining stock (those that fail for other reasons). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  ADMISSION_MARGIN = 10;

  /**
   * Attempts in flight per sale at most, whatever its stock (all instances together with REDIS_URL): a
   * deeper queue at the database only makes every admitted attempt slower, not the sale faster.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ADMISSION_MAX_IN_FLIGHT = 50;

  /** Attempts waiting per sale on one instance; more are answered 503 ADMISSION_QUEUE_FULL. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ADMISSION_QUEUE_CAP = 10_000;

  /** The longest an attempt waits for its turn (503 ADMISSION_WAIT_EXPIRED); below SOCKET_IDLE_TIMEOUT_MS. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  ADMISSION_MAX_WAIT_MS = 5_000;

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

  /**
   * Which proxies may name the client in X-Forwarded-For: `false` (none: the socket's address is the
   * client), `true` (any), a hop count, or comma-separated addresses/CIDRs. Rate limits by IP and
   * HEALTH_DETAILS=local use the address this yields.
   */
  @ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value) => typeof value === 'string' && parseTrustProxy(value) !== undefined,
      defaultMessage: () => TRUST_PROXY_HINT,
    },
  })
  TRUST_PROXY = 'false';

  /**
   * The shared store for several instances: rate limits and sale events (e.g. redis://127.0.0.1:6379/0).
   * Unset: one instance keeps both in process.
   */
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Put before every Redis key and channel, so deployments (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, {
    message: 'REDIS_PREFIX must be 1-64 chars of [A-Za-z0-9:_.-]',
  })
  REDIS_PREFIX = 'flash-sale:';

  /**
   * How long the periodic-jobs lease (status sweep, reconciler) lasts without renewal: the holder renews
   * it every third of this, and another instance takes over at most this long after the holder died.
   */
  @Type(() => Number)
  @IsInt()
  @Min(300)
  @Max(600_000)
  JOB_LEASE_TTL_MS = 5_000;

  /** Worker processes on one port (node:cluster): a number, or `auto` for one per core. */
  @Matches(/^(auto|[1-9]\d?)$/, {
    message: 'CLUSTER_WORKERS must be auto or a number of workers from 1 to 99',
  })
  CLUSTER_WORKERS = '1';

  /** A live sale stream sends at most one `sale` event per this interval (changes in between are coalesced). */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  SSE_MIN_INTERVAL_MS = 250;

  /**
   * A comment line on every live stream this often: keeps proxies and SOCKET_IDLE_TIMEOUT_MS from
   * closing a quiet stream, so it must be below SOCKET_IDLE_TIMEOUT_MS.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  SSE_HEARTBEAT_MS = 15_000;

  /**
   * Live streams open at once per process; more are answered 503 STREAMS_AT_CAPACITY. At most half of
   * MAX_CONNECTIONS (a stream holds a connection for as long as it lasts, and the API needs the rest);
   * unset, a quarter of it (sseMaxClients).
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SSE_MAX_CLIENTS?: number;

  /**
   * Live streams open at once per client address on this instance (every worker counted together);
   * more are answered 429 TOO_MANY_STREAMS.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SSE_MAX_CLIENTS_PER_ADDRESS = 20;

  /** The same per user, for streams opened with a valid bearer token, whatever the address. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SSE_MAX_CLIENTS_PER_USER = 5;

  /** A live stream ends after this (with a `retry:` hint, so EventSource reconnects): no stream holds a place for ever. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  SSE_MAX_LIFETIME_MS = 900_000;

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
  // Length alone lets 32 spaces through; a token forged with a guessable secret is an admin token.
  (env) => {
    if (env.JWT_SECRET === undefined || env.JWT_SECRET.length < 32) return undefined;
    const weakness = secretWeakness(env.JWT_SECRET);
    return weakness
      ? `JWT_SECRET is too weak to sign tokens (${weakness}); use e.g. \`openssl rand -base64 48\``
      : undefined;
  },
  (env) => (isProduction(env) ? guessableProductionSecret(env) : undefined),
  (env) => {
    const problem =
      env.ADMIN_PASSWORD === undefined ? undefined : passwordProblem(env.ADMIN_PASSWORD);
    return problem ? `ADMIN_PASSWORD ${problem}` : undefined;
  },
  (env) =>
    env.HEADERS_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS
      ? 'HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS'
      : undefined,
  // Each worker would otherwise keep its own rate-limit counters and sale events: N times every limit.
  (env) =>
    clusterWorkerCount(env) > 1 && env.REDIS_URL === undefined
      ? `CLUSTER_WORKERS=${env.CLUSTER_WORKERS} (${clusterWorkerCount(env)} workers) requires REDIS_URL, ` +
        'so that rate limits and sale events are shared by the workers'
      : undefined,
  // The idle timeout would otherwise close a waiting buyer's socket before the gate answers it.
  (env) =>
    env.ADMISSION_MAX_WAIT_MS >= env.SOCKET_IDLE_TIMEOUT_MS
      ? 'ADMISSION_MAX_WAIT_MS must be below SOCKET_IDLE_TIMEOUT_MS'
      : undefined,
  // The idle timeout would otherwise close every quiet live stream between two heartbeats.
  (env) =>
    env.SSE_HEARTBEAT_MS >= env.SOCKET_IDLE_TIMEOUT_MS
      ? 'SSE_HEARTBEAT_MS must be below SOCKET_IDLE_TIMEOUT_MS'
      : undefined,
  // Streams never end by themselves before SSE_MAX_LIFETIME_MS: at MAX_CONNECTIONS they would lock the API out.
  (env) =>
    env.SSE_MAX_CLIENTS !== undefined && env.SSE_MAX_CLIENTS > env.MAX_CONNECTIONS / 2
      ? `SSE_MAX_CLIENTS (${env.SSE_MAX_CLIENTS}) must be at most half of MAX_CONNECTIONS ` +
        `(${env.MAX_CONNECTIONS}), so that streams leave room for the API`
      : undefined,
];

/** SSE_MAX_CLIENTS, or a quarter of MAX_CONNECTIONS (at least one) when unset. */
export const sseMaxClients = (
  env: Pick<EnvironmentVariables, 'SSE_MAX_CLIENTS' | 'MAX_CONNECTIONS'>,
): number => env.SSE_MAX_CLIENTS ?? Math.max(1, Math.floor(env.MAX_CONNECTIONS / 4));

/** Settings whose default depends on NODE_ENV. */
export const swaggerEnabled = (
  env: Pick<EnvironmentVariables, 'SWAGGER_ENABLED' | 'NODE_ENV'>,
): boolean => env.SWAGGER_ENABLED ?? env.NODE_ENV !== 'production';
export const healthDetails = (
  env: Pick<EnvironmentVariables, 'HEALTH_DETAILS' | 'NODE_ENV'>,
): HealthDetailMode => env.HEALTH_DETAILS ?? (env.NODE_ENV === 'production' ? 'none' : 'local');

/** CLUSTER_WORKERS as a count: `auto` is one worker per core this process may use. */
export const clusterWorkerCount = (env: Pick<EnvironmentVariables, 'CLUSTER_WORKERS'>): number =>
  env.CLUSTER_WORKERS === 'auto' ? availableParallelism() : Number(env.CLUSTER_WORKERS);

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
