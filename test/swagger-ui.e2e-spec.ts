import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN } from './support/test-app';
import { itWithChromium, launchChromium, SCREENSHOTS, type Chromium } from './support/browser';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import { authorize, execute, fillBody, fillParameter, openOperation } from './support/swagger-ui';
import { uniqueDatabaseName } from './support/test-app';

/** A JSON call from the test itself, to seed what the browser then uses. */
async function api<T>(app: ChildApp, path: string, body: object, token?: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('Swagger UI in a real browser (e2e, Chromium)', () => {
  let app: ChildApp;
  let chromium: Chromium;
  let page: Page;

  beforeAll(async () => {
    app = await startChildApp(uniqueDatabaseName());
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.setDefaultTimeout(15_000);
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    if (app) await stopChildApp(app, 'SIGTERM');
  });

  itWithChromium(
    'logs in, authorizes, lists with page/limit, buys and reads the leaderboard through Try it out',
    async () => {
      const { accessToken: admin } = await api<{ accessToken: string }>(app, '/api/auth/login', {
        email: ADMIN.email,
        password: ADMIN.password,
      });
      const product = await api<{ id: string }>(
        app,
        '/api/products',
        { name: 'Browser sneakers', price: 59.9 },
        admin,
      );
      const sale = await api<{ id: string }>(
        app,
        '/api/sales',
        { productId: product.id, startTime: new Date().toISOString(), totalQuantity: 5 },
        admin,
      );
      const buyer = {
        username: 'swagger_buyer',
        email: 'buyer@example.test',
        password: 'password-123',
      };
      await api(app, '/api/auth/register', buyer);

      await page.goto(`${app.url}/api-docs`);
      await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SCREENSHOTS, 'swagger-ui-0-loaded.png') });

      // POST /api/auth/login: a public route, so no token yet.
      const login = await openOperation(page, 'auth', 'AuthController_login');
      await fillBody(login, { email: buyer.email, password: buyer.password });
      const loggedIn = await execute(page, login, 'swagger-ui-1-login');
      expect(loggedIn.status).toBe(200);
      const token = (JSON.parse(loggedIn.body) as { accessToken: string }).accessToken;
      expect(token).toMatch(/^ey/);

      // Authorize with the bearer token, as the padlock dialog asks.
      await authorize(page, token);

      // GET /api/products with integer page and limit: sent as ?page=1&limit=5.
      const list = await openOperation(page, 'products', 'ProductsController_list');
      await fillParameter(list, 'page', '1');
      await fillParameter(list, 'limit', '5');
      const listed = await execute(page, list, 'swagger-ui-2-products');
      expect(listed.status).toBe(200);
      expect(listed.url).toContain('page=1&limit=5');
      expect(JSON.parse(listed.body)).toMatchObject({ page: 1, limit: 5, total: 1 });

      // POST /api/sales/{id}/purchase with the authorized token.
      const purchase = await openOperation(page, 'purchases', 'PurchasesController_purchase');
      await fillParameter(purchase, 'id', sale.id);
      await fillBody(purchase, { quantity: 1 });
      const bought = await execute(page, purchase, 'swagger-ui-3-purchase');
      expect(bought.status).toBe(201);
      expect(JSON.parse(bought.body)).toMatchObject({ saleId: sale.id, username: buyer.username });

      // The leaderboard, paged too.
      const board = await openOperation(page, 'leaderboard', 'LeaderboardController_forSale');
      await fillParameter(board, 'id', sale.id);
      await fillParameter(board, 'page', '1');
      await fillParameter(board, 'limit', '10');
      const ranked = await execute(page, board, 'swagger-ui-4-leaderboard');
      expect(ranked.status).toBe(200);
      expect(JSON.parse(ranked.body)).toMatchObject({
        total: 1,
        unitsSold: 1,
        items: [{ rank: 1, username: buyer.username, quantity: 1 }],
      });
    },
    120_000,
  );
});
