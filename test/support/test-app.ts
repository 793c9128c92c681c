import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { validateEnvironment } from '../../src/config/env.validation';
import { configureApp } from '../../src/configure-app';
import { createAdapter } from '../../src/main-adapter';
import { SILENT_LOGGER } from './quiet-output';

export const ADMIN = {
  email: 'admin@example.test',
  password: 'admin-password-1',
  username: 'root_admin',
};

/** A database name unique to the calling test file (and run), on the run's shared engine. */
export function uniqueDatabaseName(): string {
  const file = basename(expect.getState().testPath ?? 'test')
    .replace(/\W+/g, '_')
    .slice(0, 30);
  return `${file}_${randomBytes(4).toString('hex')}`;
}

export function databaseUri(name: string): string {
  const url = new URL(process.env.MONGO_URI!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Generous limits unless a test asks otherwise: most tests are not about throttling. */
export function testEnvironment(database: string, env: Record<string, string> = {}) {
  return {
    NODE_ENV: 'test',
    MONGO_URI: databaseUri(database),
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
    BCRYPT_ROUNDS: '4',
    THROTTLE_LIMIT: '1000000',
    THROTTLE_AUTH_LIMIT: '1000000',
    THROTTLE_PURCHASE_LIMIT: '1000000',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_USERNAME: ADMIN.username,
    ...env,
  };
}

/**
 * @nestjs/config copies validated variables into process.env where unset, and ConfigService.get falls
 * back to process.env for a variable this app left unset: one app's REDIS_URL would become the next
 * app's in the same worker. Overrides that were not in the environment before are taken out again.
 */
function forgetOverrides(overrides: Record<string, string>, before: Set<string>): void {
  for (const key of Object.keys(overrides)) if (!before.has(key)) delete process.env[key];
}

export async function createTestApp(
  database: string,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const overrides = testEnvironment(database, env);
  const before = new Set(Object.keys(process.env));
  try {
    return await bootTestApp(overrides);
  } finally {
    forgetOverrides(overrides, before);
  }
}

async function bootTestApp(overrides: Record<string, string>): Promise<NestFastifyApplication> {
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(overrides)] });
  // quiet-output.ts says why a run prints no app logs (TEST_APP_LOGS=1 brings them back).
  if (!process.env.TEST_APP_LOGS) builder.setLogger(SILENT_LOGGER);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createAdapter(validateEnvironment({ ...process.env, ...overrides })),
  );
  configureApp(app);
  // Listening on a real port lets storms fire hundreds of concurrent requests over real sockets.
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Boots an app for one piece of a test and closes it whatever happens (a second boot on the same data). */
export async function withTestApp(
  database: string,
  env: Record<string, string>,
  work: (app: NestFastifyApplication) => Promise<void>,
): Promise<void> {
  const app = await createTestApp(database, env);
  try {
    await work(app);
  } finally {
    await app.close();
  }
}

export const baseUrl = (app: NestFastifyApplication) => {
  const address = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
};

export const http = (app: NestFastifyApplication) => request(baseUrl(app));

export async function adminToken(app: NestFastifyApplication): Promise<string> {
  const response = await http(app)
    .post('/api/auth/login')
    .send({ email: ADMIN.email, password: ADMIN.password })
    .expect(200);
  return (response.body as { accessToken: string }).accessToken;
}
