import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import { importLikePostman, runWithNewman, type NewmanRequest } from './support/postman';
import { ROOT } from './support/processes';
import { ADMIN, uniqueDatabaseName } from './support/test-app';

const SHIPPED = join(ROOT, 'postman', 'flash-sale.postman_collection.json');
const OBJECT_ID = /^[0-9a-f]{24}$/i;

type OpenApi = { servers: Array<{ url: string }>; paths: Record<string, Record<string, unknown>> };
type ShippedItem = { name: string; request: { method: string; url: string } };

/** A request of the converted collection that could not even be sent, or was sent half-filled. */
function unsendable(request: NewmanRequest, base: string): string[] {
  const problems: string[] = [];
  if (request.error) problems.push(`not sent: ${request.error}`);
  const url = new URL(request.url);
  if (url.origin !== base) problems.push(`origin ${url.origin}`);
  for (const segment of url.pathname.split('/')) {
    if (/^:|[<>{}]/.test(decodeURIComponent(segment))) problems.push(`placeholder ${segment}`);
  }
  for (const [name, value] of url.searchParams) {
    if (/[<>]/.test(value)) problems.push(`query ${name}=${value}`);
  }
  if (request.body !== undefined) {
    if (/<\w+>/.test(request.body)) problems.push(`placeholder body ${request.body}`);
    else JSON.parse(request.body);
  }
  return problems;
}

describe('the Postman path (e2e, newman against the built service)', () => {
  let app: ChildApp;
  let openApiText: string;
  let openApi: OpenApi;

  beforeAll(async () => {
    // The empty settings `cp .env.example .env` gives.
    app = await startChildApp(uniqueDatabaseName(), {
      PUBLIC_URL: '',
      SWAGGER_ENABLED: '',
      HEALTH_DETAILS: '',
    });
    openApiText = await (await fetch(`${app.url}/api-doc`)).text();
    openApi = JSON.parse(openApiText) as OpenApi;
  }, 60_000);
  afterAll(async () => {
    if (app) await stopChildApp(app, 'SIGTERM');
  });

  it('imports the downloaded document and sends every request with a valid URL, id and body, with only baseUrl set', async () => {
    const collection = await importLikePostman(openApiText);
    // The base URL the importer made from `servers`: the service's own, nothing to set by hand.
    expect((collection as { variable: unknown[] }).variable).toEqual([
      { key: 'baseUrl', value: app.url },
    ]);
    const operations = Object.values(openApi.paths).flatMap((item) => Object.keys(item));

    const anonymous = await runWithNewman(collection);
    expect(anonymous.requests).toHaveLength(operations.length);
    expect(anonymous.requests.flatMap((r) => unsendable(r, app.url))).toEqual([]);
    const ids = anonymous.requests.flatMap((r) =>
      new URL(r.url).pathname.split('/').filter((segment) => /^[0-9a-f]{20,}$/i.test(segment)),
    );
    expect(ids.length).toBeGreaterThanOrEqual(6);
    expect(ids.every((id) => OBJECT_ID.test(id))).toBe(true);
    // Bad input would be a 400 (INVALID_ID, VALIDATION_FAILED): none. Routes that need a token say 401.
    const statuses = anonymous.requests.map((r) => `${r.status} ${r.name}`);
    console.log(`[postman] converted collection, anonymous:\n${statuses.join('\n')}`);
    expect(statuses.filter((s) => /^(400|5\d\d|undefined) /.test(s))).toEqual([]);
    expect(statuses).toEqual(expect.arrayContaining([expect.stringMatching(/^401 /)]));

    // With the admin's token in the importer's own `bearerToken` variable, the bodies reach validation.
    const login = await fetch(`${app.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const admin = await runWithNewman(collection, { bearerToken: accessToken });
    const answers = admin.requests.map((r) => `${r.status} ${r.name}`);
    console.log(`[postman] converted collection, as the admin:\n${answers.join('\n')}`);
    expect(answers.filter((s) => /^(400|401|5\d\d|undefined) /.test(s))).toEqual([]);
    expect(answers).toEqual(
      expect.arrayContaining([expect.stringMatching(/^201 Create a product/)]),
    );
  }, 60_000);

  it('runs the shipped collection, the seed test plan, with every assertion passing', async () => {
    const { summary, requests } = await runWithNewman(SHIPPED, {
      baseUrl: app.url,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
    });
    expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error.message}`)).toEqual([]);
    expect(requests.map((r) => `${r.status} ${r.name}`)).toEqual([
      '200 0. Health',
      '201 1a. Register buyer 1',
      '201 1b. Register buyer 2',
      '200 2a. Admin logs in',
      '201 2b. Create a product (admin)',
      '201 3. Create a sale starting in an hour (admin)',
      '409 3b. A purchase before the start is refused',
      '200 4. Activate the sale now (admin)',
      '201 5a. Buyer 1 buys',
      '409 5b. Buyer 1 buys again: 409',
      '409 5c. Buyer 2 finds it sold out: 409',
      '200 6. The leaderboard',
      '200 7. My purchases (buyer 1)',
    ]);
    expect(summary.run.stats.assertions).toMatchObject({ total: 26, failed: 0 });
  }, 60_000);

  it('ships the collection the script generates, calling only routes the document names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flash-sale-postman-'));
    try {
      const fresh = join(dir, 'collection.json');
      const made = spawnSync(process.execPath, [
        join(ROOT, 'scripts', 'postman-collection.js'),
        fresh,
      ]);
      expect(made.status).toBe(0);
      expect(readFileSync(SHIPPED, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const shipped = JSON.parse(readFileSync(SHIPPED, 'utf8')) as { item: ShippedItem[] };
    for (const { request } of shipped.item) {
      const path = request.url.replace('{{baseUrl}}', '').replace(/\{\{\w+\}\}/g, '{id}');
      expect([path, request.method, openApi.paths[path]?.[request.method.toLowerCase()]]).toEqual([
        path,
        request.method,
        expect.anything(),
      ]);
    }
  });
});
