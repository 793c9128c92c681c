import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { itWithChromium, launchChromium, SCREENSHOTS, type Chromium } from './support/browser';
import { postJson } from './support/child-app';
import {
  cleanEnvironment,
  descendants,
  freePort,
  killTree,
  repositoryCopy,
  watch,
  type Watched,
} from './support/processes';
import { authorize, execute, fillBody, fillParameter, openOperation } from './support/swagger-ui';

/**
 * The README's "Run it", literally, in a fresh copy of the repository: `cp .env.example .env`, then
 * `npm start`, then what a newcomer opens: /health, Swagger UI (Authorize, login, a list, a purchase,
 * the leaderboard), the /api-doc download. Only PORT comes from the environment (a free one; the
 * environment wins over .env, which the boot line proves), so nothing here differs from a newcomer's run.
 */
// Builds the copy (~10-40 s on a busy 2-core machine) and boots its embedded database.
const BUILD_AND_BOOT_MS = 180_000;

/** The admin .env.example names (the service creates it at boot). */
const ENV_EXAMPLE_ADMIN = { email: 'admin@example.com', password: 'change-me-please' };

describe('the README, literally (e2e, a fresh copy with the .env it tells you to make)', () => {
  let copy: string;
  let service: Watched | undefined;
  let url: string;
  let leftovers: number[] = [];

  beforeAll(async () => {
    copy = repositoryCopy();
    copyFileSync(join(copy, '.env.example'), join(copy, '.env'));
    const port = await freePort();
    service = watch('npm', ['start'], copy, cleanEnvironment({ PORT: String(port) }));
    await service.waitForOutput(/Listening on http:\/\/\S+:\d+.*/, BUILD_AND_BOOT_MS - 20_000);
    leftovers = descendants(service.process.pid!);
    url = `http://127.0.0.1:${port}`;
  }, BUILD_AND_BOOT_MS);

  afterAll(async () => {
    if (service && service.process.exitCode === null) {
      service.process.kill('SIGTERM');
      await Promise.race([service.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    killTree(service, leftovers);
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('boots on the PORT from the environment and advertises what it serves', () => {
    const line = service!.output().match(/Listening on .*/)![0];
    expect(line).toContain(`:${new URL(url).port} `);
    expect(line).toMatch(/Swagger UI \/api-docs, OpenAPI \/api-doc/);
  });

  it('/health says ok and, asked from this machine, which database engine runs', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      database: 'up',
      engine: expect.stringMatching(/\w/),
    });
  });

  it('/api-doc downloads the document with the URL it was fetched from as its server', async () => {
    const response = await fetch(`${url}/api-doc`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/attachment/);
    const document = (await response.json()) as { servers: unknown };
    expect(document.servers).toEqual([{ url }]);
  });

  itWithChromium(
    'Swagger UI: Authorize, login, a list, a purchase and the leaderboard each answer on Execute',
    async () => {
      const admin = await postJson(url, '/api/auth/login', ENV_EXAMPLE_ADMIN);
      expect(admin.status).toBe(200);
      const adminToken = admin.body.accessToken as string;
      const product = await postJson(
        url,
        '/api/products',
        { name: 'README sneakers', price: 129.99 },
        adminToken,
      );
      const sale = await postJson(
        url,
        '/api/sales',
        { productId: product.body.id, startTime: new Date().toISOString(), totalQuantity: 3 },
        adminToken,
      );
      expect(sale.status).toBe(201);
      const buyer = {
        username: 'readme_buyer',
        email: 'readme_buyer@example.com',
        password: 'readme-password-1',
      };
      expect((await postJson(url, '/api/auth/register', buyer)).status).toBe(201);

      let chromium: Chromium | undefined;
      try {
        chromium = await launchChromium();
        const page: Page = await chromium.context.newPage();
        page.setDefaultTimeout(15_000);
        await page.goto(`${url}/api-docs`);
        await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 30_000 });
        await page.screenshot({ path: join(SCREENSHOTS, 'readme-path-0-loaded.png') });

        const login = await openOperation(page, 'auth', 'AuthController_login');
        await fillBody(login, { email: buyer.email, password: buyer.password });
        const loggedIn = await execute(page, login, 'readme-path-1-login');
        expect(loggedIn.status).toBe(200);
        await authorize(page, (JSON.parse(loggedIn.body) as { accessToken: string }).accessToken);

        const list = await openOperation(page, 'sales', 'SalesController_list');
        const listed = await execute(page, list, 'readme-path-2-sales');
        expect(listed.status).toBe(200);
        expect(listed.url.startsWith(`${url}/api/sales`)).toBe(true);
        expect(JSON.parse(listed.body)).toMatchObject({ total: 1 });

        const purchase = await openOperation(page, 'purchases', 'PurchasesController_purchase');
        await fillParameter(purchase, 'id', sale.body.id as string);
        await fillBody(purchase, { quantity: 1 });
        const bought = await execute(page, purchase, 'readme-path-3-purchase');
        expect(bought.status).toBe(201);

        const board = await openOperation(page, 'leaderboard', 'LeaderboardController_forSale');
        await fillParameter(board, 'id', sale.body.id as string);
        const ranked = await execute(page, board, 'readme-path-4-leaderboard');
        expect(ranked.status).toBe(200);
        expect(JSON.parse(ranked.body)).toMatchObject({
          items: [{ rank: 1, username: buyer.username, quantity: 1 }],
        });
      } finally {
        await chromium?.close();
      }
    },
    120_000,
  );
});
