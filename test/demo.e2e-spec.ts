import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { cleanEnvironment, ROOT, watch } from './support/processes';
import {
  ADMIN,
  baseUrl,
  createTestApp,
  http,
  uniqueDatabaseName,
  withTestApp,
} from './support/test-app';
import { note } from './support/notes';

describe('npm run demo (e2e, against a test app)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName());
  });
  afterAll(() => app.close());

  /** `npm run demo` against the test app, as a newcomer runs it; its exit code and whole output. */
  async function runDemo(env: Record<string, string>, url = baseUrl(app)) {
    const demo = watch(
      'npm',
      ['run', '--silent', 'demo'],
      ROOT,
      cleanEnvironment({ DEMO_API_URL: url, ...env }),
    );
    const { code } = await demo.exited;
    return { code, output: demo.output() };
  }

  it('replays the brief\'s "Testing the System" steps and prints the leaderboard', async () => {
    const { code, output } = await runDemo({
      DEMO_START_IN_SECONDS: '2',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    });
    note(`[demo] ${output.trim().split('\n').at(-1)}`);
    expect({ code, output }).toMatchObject({ code: 0 });
    for (const heading of [
      /== 1\. Register 4 users/,
      /== 2\. Create a product/,
      /== 3\. Create a sale starting in 2 s/,
      /a purchase before the start: 409 SALE_NOT_STARTED/,
      /== 4\. Activate the sale when it is time[\s\S]*status active, 3 units left/,
      /== 5\. Purchase attempts from different users/,
      /== 6\. The leaderboard/,
    ]) {
      expect(output).toMatch(heading);
    }
    // Three units for four buyers: three 201s, one SOLD_OUT, and three ranked rows in the table.
    expect(output.match(/ 201 +bought 1/g)).toHaveLength(3);
    expect(output).toMatch(/SOLD_OUT/);
    expect(output).toMatch(/409 +ALREADY_PURCHASED/); // a buyer's second try, after the sell-out
    const board = output.slice(output.indexOf('== 6.'));
    expect(board).toMatch(/rank +username +quantity +purchasedAt/);
    expect(board.match(/^ +[123] +demo_\w+ +1 +\d{4}-/gm)).toHaveLength(3);
    expect(output).toMatch(/Done: 3 of 4 buyers got one of the 3 units/);
  }, 30_000);

  it('says what to do when the admin cannot log in, in one line', async () => {
    const { code, output } = await runDemo({
      ADMIN_EMAIL: 'nobody@example.test',
      ADMIN_PASSWORD: 'wrong-password',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/demo stopped: the admin cannot log in \(401 INVALID_CREDENTIALS\)/);
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('says the service is rate limiting, not that the admin cannot log in, on a 429', async () => {
    await withTestApp(uniqueDatabaseName(), { THROTTLE_AUTH_LIMIT: '1' }, async (limited) => {
      // The one login this IP may make in the window is spent, as by a demo run a moment earlier.
      await http(limited)
        .post('/api/auth/login')
        .send({ email: ADMIN.email, password: ADMIN.password })
        .expect(200);
      const { code, output } = await runDemo(
        { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        baseUrl(limited),
      );
      expect(code).toBe(1);
      expect(output).toMatch(
        /demo stopped: POST \/auth\/login was rate limited \(429 TOO_MANY_REQUESTS\): register \+ login are limited per IP .*run the demo again in \d+ s/,
      );
      expect(output).not.toMatch(/cannot log in|ADMIN_EMAIL/);
    });
  }, 30_000);
});
