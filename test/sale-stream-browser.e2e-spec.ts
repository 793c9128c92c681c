import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createSale } from './factories/catalog.factory';
import { registerUsers } from './factories/users.factory';
import { itWithChromium, launchChromium, type Chromium } from './support/browser';
import { execute, fillParameter, openOperation } from './support/swagger-ui';
import { adminToken, baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** The README's EventSource snippet, as printed under "Live sale stream (SSE)". */
function readmeEventSourceSnippet(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Live sale stream'));
  const snippet = /```js\n([\s\S]*?new EventSource[\s\S]*?)```/.exec(section)?.[1];
  if (!snippet) throw new Error('README: no EventSource snippet under "Live sale stream"');
  return snippet;
}

interface PageView {
  statuses: string[];
  buyers: string[];
}

describe('the live sale stream in a real browser (e2e, Chromium)', () => {
  let app: NestFastifyApplication;
  let admin: string;
  let chromium: Chromium;
  let page: Page;

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName(), { SSE_MIN_INTERVAL_MS: '200' });
    admin = await adminToken(app);
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${baseUrl(app)}/api-docs`);
    await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    await app?.close();
  });

  itWithChromium(
    "Swagger UI's Execute on the stream answers the sale as JSON within seconds",
    async () => {
      const sale = await createSale(app, admin, { totalQuantity: 3 });
      const block = await openOperation(page, 'sales', 'SaleStreamsController_events');
      await fillParameter(block, 'id', sale.id);
      const started = Date.now();
      const answer = await execute(page, block, 'stream-snapshot', 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        id: sale.id,
        status: 'active',
        remainingQuantity: 3,
        soldQuantity: 0,
      });
    },
  );

  itWithChromium("the README's EventSource snippet shows every buyer of a sell-out", async () => {
    const units = 5;
    const sale = await createSale(app, admin, { totalQuantity: units });
    const buyers = await registerUsers(app, units);
    // The snippet as printed, its example origin swapped for this server's; render and addBuyers
    // record what the page would show.
    const snippet = readmeEventSourceSnippet().replace('https://shop.example.com', baseUrl(app));
    await page.evaluate(`(() => {
      const saleId = ${JSON.stringify(sale.id)};
      const view = (window.streamView = { statuses: [], buyers: [] });
      const render = (sale) => view.statuses.push(sale.status);
      const addBuyers = (items) => view.buyers.push(...items.map((item) => item.username));
      ${snippet}
    })()`);
    await page.waitForFunction('window.streamView.statuses.length > 0');
    await Promise.all(
      buyers.map((buyer) =>
        http(app)
          .post(`/api/sales/${sale.id}/purchase`)
          .auth(buyer.token, { type: 'bearer' })
          .send({})
          .expect(201),
      ),
    );
    await page.waitForFunction("window.streamView.statuses.includes('sold_out')");
    const shown = await page.evaluate<PageView>('window.streamView');
    expect(shown.statuses.at(-1)).toBe('sold_out');
    expect(new Set(shown.buyers)).toEqual(new Set(buyers.map((buyer) => buyer.username)));
    expect(shown.buyers).toHaveLength(units);
  });
});
