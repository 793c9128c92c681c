import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { registerUser } from './factories/users.factory';
import {
  hasChromium,
  itWithChromium,
  launchChromium,
  SCREENSHOTS,
  type Chromium,
} from './support/browser';
import { baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** A frontend on another origin: the same host, another port. */
function startFrontend(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>shop</title><h1>A shop on another origin</h1>');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

/**
 * The browser's own fetch from the frontend page: an Authorization header makes it send a preflight
 * first, and it hands the answer to the page only if the CORS headers allow this origin.
 */
function fetchFromPage(page: Page, url: string, token: string) {
  return page.evaluate(
    async ({ url, token }) => {
      try {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        return { status: response.status, body: (await response.json()) as { username?: string } };
      } catch (error) {
        return { blocked: String(error) };
      }
    },
    { url, token },
  );
}

describe('CORS (e2e): a page on another origin calling the API from Chromium', () => {
  const database = uniqueDatabaseName();
  let frontend: { server: Server; origin: string };
  let chromium: Chromium;
  let page: Page;
  const apps: NestFastifyApplication[] = [];

  /**
   * ConfigModule copies each app's variables into process.env, and ConfigService falls back to
   * process.env for a variable an app left unset: without the restore, one app's CORS_ORIGINS would
   * leak into the apps booted after it in this process.
   */
  async function appWith(env: Record<string, string>) {
    const saved = { ...process.env };
    const app = await createTestApp(database, env);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    apps.push(app);
    return { app, user: await registerUser(app) };
  }

  beforeAll(async () => {
    frontend = await startFrontend();
    if (!hasChromium) return; // the browser tests below are skipped, with the reason
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(frontend.origin);
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await Promise.all(apps.map((app) => app.close()));
    await new Promise((resolve) => frontend.server.close(resolve));
  });

  const meUrl = (app: NestFastifyApplication) => `${baseUrl(app)}/api/auth/me`;

  itWithChromium('lets any origin call in development when CORS_ORIGINS is unset', async () => {
    const { app, user } = await appWith({ NODE_ENV: 'development' });
    const answer = await fetchFromPage(page, meUrl(app), user.token);
    await page.screenshot({ path: join(SCREENSHOTS, 'cors-any-origin.png') });
    expect(answer).toEqual({
      status: 200,
      body: expect.objectContaining({ username: user.username }),
    });
  });

  itWithChromium('lets a listed origin call and blocks one that is not listed', async () => {
    const listed = await appWith({ CORS_ORIGINS: `https://shop.example.test, ${frontend.origin}` });
    expect(await fetchFromPage(page, meUrl(listed.app), listed.user.token)).toEqual({
      status: 200,
      body: expect.objectContaining({ username: listed.user.username }),
    });
    const other = await appWith({ CORS_ORIGINS: 'https://shop.example.test' });
    expect(await fetchFromPage(page, meUrl(other.app), other.user.token)).toEqual({
      blocked: expect.stringContaining('Failed to fetch'),
    });
  });

  itWithChromium('lets no origin call in production when CORS_ORIGINS is unset', async () => {
    const { app, user } = await appWith({ NODE_ENV: 'production', BCRYPT_ROUNDS: '10' });
    expect(await fetchFromPage(page, meUrl(app), user.token)).toEqual({
      blocked: expect.stringContaining('Failed to fetch'),
    });
  });

  it('answers the preflight itself: 204 with the origin, methods and headers allowed', async () => {
    const { app } = await appWith({ CORS_ORIGINS: frontend.origin });
    const preflight = await http(app)
      .options('/api/sales/0123456789abcdef01234567/purchase')
      .set('Origin', frontend.origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type')
      .expect(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': frontend.origin,
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-allow-headers': expect.stringMatching(/Authorization.*Content-Type/i),
      'access-control-max-age': '600',
    });
    // Errors carry the headers too, so the page can read a 401's code.
    const refused = await http(app).get('/api/auth/me').set('Origin', frontend.origin).expect(401);
    expect(refused.headers['access-control-allow-origin']).toBe(frontend.origin);
    expect(refused.headers['access-control-expose-headers']).toContain('Retry-After');
  });

  it('sends no CORS headers to an origin that is not allowed', async () => {
    const { app } = await appWith({ CORS_ORIGINS: 'https://shop.example.test' });
    const answer = await http(app).get('/api/products').set('Origin', frontend.origin).expect(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
