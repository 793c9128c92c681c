import {
  healthDetails,
  sseMaxClients,
  swaggerEnabled,
  validateEnvironment,
} from './env.validation';

const SECRET = 'k3P9x-Qm2Zr7Tn4Wv8Ys1Bd6Fh0Jl5Nc';

describe('validateEnvironment', () => {
  it('applies the documented defaults to an empty environment', () => {
    const env = validateEnvironment({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 5000,
      MONGO_TRANSACTIONS: 'auto',
      LEDGER_WRITE_CONCERN: '',
      JWT_EXPIRES_IN: '1h',
      THROTTLE_TTL: 60,
      THROTTLE_LIMIT: 100,
      THROTTLE_AUTH_LIMIT: 10,
      THROTTLE_PURCHASE_LIMIT: 5,
    });
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.MONGO_URI).toBeUndefined();
  });

  it('converts numeric strings and treats empty values as unset', () => {
    expect(validateEnvironment({ PORT: '8080', THROTTLE_LIMIT: '', MONGO_URI: '' })).toMatchObject({
      PORT: 8080,
      THROTTLE_LIMIT: 100,
      MONGO_URI: undefined,
    });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['THROTTLE_LIMIT', { THROTTLE_LIMIT: '0' }],
    ['MONGO_URI', { MONGO_URI: 'postgres://localhost' }],
    ['MONGO_TRANSACTIONS', { MONGO_TRANSACTIONS: 'sometimes' }],
    ['LEDGER_WRITE_CONCERN', { LEDGER_WRITE_CONCERN: 'all' }],
    ['LEDGER_WRITE_CONCERN', { LEDGER_WRITE_CONCERN: '0' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['JWT_EXPIRES_IN', { JWT_EXPIRES_IN: 'forever' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['JWT_SECRET', { JWT_SECRET: ' '.repeat(32) }],
    ['JWT_SECRET', { JWT_SECRET: 'a'.repeat(40) }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: ' '.repeat(8) }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'p'.repeat(73) }],
    ['HOST', { HOST: 'not a host!' }],
    ['SWAGGER_ENABLED', { SWAGGER_ENABLED: 'maybe' }],
    ['HEALTH_DETAILS', { HEALTH_DETAILS: 'everyone' }],
    ['HEADERS_TIMEOUT_MS', { HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' }],
    ['ADMIN_EMAIL', { ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'long-enough' }],
  ])('stops boot naming %s when it is bad', (name, raw) => {
    expect(() => validateEnvironment(raw)).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('requires JWT_SECRET (32+ chars) and MONGO_URI in production', () => {
    expect(() =>
      validateEnvironment({ NODE_ENV: 'production', MONGO_URI: 'mongodb://db/x' }),
    ).toThrow(/JWT_SECRET/);
    expect(() => validateEnvironment({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toThrow(
      /MONGO_URI/,
    );
    expect(() =>
      validateEnvironment({
        NODE_ENV: 'production',
        JWT_SECRET: SECRET,
        MONGO_URI: 'mongodb://db/x',
      }),
    ).not.toThrow();
  });

  it('refuses a cheap bcrypt cost in production but allows it in tests', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, MONGO_URI: 'mongodb://db/x' };
    expect(() => validateEnvironment({ ...production, BCRYPT_ROUNDS: '4' })).toThrow(
      /BCRYPT_ROUNDS/,
    );
    expect(validateEnvironment({ NODE_ENV: 'test', BCRYPT_ROUNDS: '4' }).BCRYPT_ROUNDS).toBe(4);
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => validateEnvironment({ ADMIN_EMAIL: 'a@b.co' })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD/,
    );
    expect(() =>
      validateEnvironment({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'long-enough' }),
    ).not.toThrow();
  });

  it('turns docs off and hides health details by default in production only', () => {
    const production = validateEnvironment({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      MONGO_URI: 'mongodb://db/x',
    });
    expect(swaggerEnabled(production)).toBe(false);
    expect(healthDetails(production)).toBe('none');
    const development = validateEnvironment({});
    expect(swaggerEnabled(development)).toBe(true);
    expect(healthDetails(development)).toBe('local');
    expect(swaggerEnabled(validateEnvironment({ SWAGGER_ENABLED: 'false' }))).toBe(false);
  });

  it('accepts CORS_ORIGINS as * or comma-separated origins and PUBLIC_URL as an http(s) URL', () => {
    const env = validateEnvironment({
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:3000',
      PUBLIC_URL: 'https://api.example.com',
    });
    expect(env.CORS_ORIGINS).toBe('https://shop.example.com, http://localhost:3000');
    expect(validateEnvironment({ CORS_ORIGINS: '*' }).CORS_ORIGINS).toBe('*');
    expect(() => validateEnvironment({ CORS_ORIGINS: 'shop.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(() => validateEnvironment({ CORS_ORIGINS: 'https://a.example.com/path' })).toThrow(
      /CORS_ORIGINS/,
    );
    expect(() => validateEnvironment({ PUBLIC_URL: 'api.example.com' })).toThrow(/PUBLIC_URL/);
  });

  it('accepts TRUST_PROXY as false (default), true, a hop count or addresses/CIDRs', () => {
    expect(validateEnvironment({}).TRUST_PROXY).toBe('false');
    expect(validateEnvironment({ TRUST_PROXY: '' }).TRUST_PROXY).toBe('false');
    for (const value of ['true', 'false', '1', '10.0.0.0/8,127.0.0.1', 'loopback, ::1'])
      expect(validateEnvironment({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
  });

  it.each(['yes', '-1', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1;10.0.0.2'])(
    'stops boot on TRUST_PROXY=%j with a message showing the accepted forms',
    (value) => {
      expect(() => validateEnvironment({ TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: TRUST_PROXY must be false, true, a hop count \(e\.g\. 1\) or comma-separated addresses\/CIDRs/,
      );
    },
  );

  it('reads the live stream settings, and refuses a heartbeat the idle timeout would cut', () => {
    expect(validateEnvironment({})).toMatchObject({
      SSE_MIN_INTERVAL_MS: 250,
      SSE_HEARTBEAT_MS: 15_000,
      SSE_MAX_CLIENTS_PER_ADDRESS: 20,
      SSE_MAX_CLIENTS_PER_USER: 5,
      SSE_MAX_LIFETIME_MS: 900_000,
    });
    expect(() =>
      validateEnvironment({ SSE_HEARTBEAT_MS: '60000', SOCKET_IDLE_TIMEOUT_MS: '60000' }),
    ).toThrow(/SSE_HEARTBEAT_MS must be below SOCKET_IDLE_TIMEOUT_MS/);
    expect(() => validateEnvironment({ SSE_MAX_CLIENTS: '0' })).toThrow(/SSE_MAX_CLIENTS/);
  });

  it('keeps streams to at most half of MAX_CONNECTIONS, a quarter by default (issue 18)', () => {
    expect(sseMaxClients(validateEnvironment({}))).toBe(2_500);
    expect(sseMaxClients(validateEnvironment({ MAX_CONNECTIONS: '40' }))).toBe(10);
    expect(
      sseMaxClients(validateEnvironment({ SSE_MAX_CLIENTS: '20', MAX_CONNECTIONS: '40' })),
    ).toBe(20);
    expect(() => validateEnvironment({ SSE_MAX_CLIENTS: '21', MAX_CONNECTIONS: '40' })).toThrow(
      'SSE_MAX_CLIENTS (21) must be at most half of MAX_CONNECTIONS (40), so that streams leave room for the API',
    );
    expect(() => validateEnvironment({ SSE_MAX_CLIENTS: '10000' })).toThrow(/at most half/);
    expect(() => validateEnvironment({ SSE_MAX_LIFETIME_MS: '999' })).toThrow(
      /SSE_MAX_LIFETIME_MS/,
    );
  });
});

describe('validateEnvironment: the admission gate', () => {
  it('defaults to a gate with margin 10, a line of 10,000 and a 5 s wait', () => {
    expect(validateEnvironment({})).toMatchObject({
      ADMISSION_GATE: true,
      ADMISSION_MARGIN: 10,
      ADMISSION_QUEUE_CAP: 10_000,
      ADMISSION_MAX_WAIT_MS: 5_000,
    });
    expect(validateEnvironment({ ADMISSION_GATE: 'false' }).ADMISSION_GATE).toBe(false);
  });

  it.each([
    ['ADMISSION_GATE', { ADMISSION_GATE: 'sometimes' }],
    ['ADMISSION_MARGIN', { ADMISSION_MARGIN: '0' }],
    ['ADMISSION_QUEUE_CAP', { ADMISSION_QUEUE_CAP: '-1' }],
    ['ADMISSION_MAX_WAIT_MS', { ADMISSION_MAX_WAIT_MS: 'soon' }],
    // A wait the idle timeout would cut short: the buyer would lose the connection, not get an answer.
    ['ADMISSION_MAX_WAIT_MS', { ADMISSION_MAX_WAIT_MS: '60000', SOCKET_IDLE_TIMEOUT_MS: '60000' }],
  ])('stops boot naming %s when it is bad', (name, raw) => {
    expect(() => validateEnvironment(raw)).toThrow(new RegExp(`\\b${name}\\b`));
  });
});
