// `npm run demo`: against a running service, replays the original brief's "Testing the System": register a
// few users, create a product, a sale with a start time, activate it when it is time, purchase attempts
// from different users, the leaderboard. Prints each step and the final leaderboard as a table.
// Reads DEMO_API_URL (default http://localhost:$PORT, PORT from the environment or .env, else 5000) and
// the admin's ADMIN_EMAIL / ADMIN_PASSWORD (environment or .env: the service creates that admin at boot).
const { existsSync } = require('node:fs');

if (existsSync('.env')) process.loadEnvFile('.env');
const API = `${process.env.DEMO_API_URL || `http://localhost:${process.env.PORT || 5000}`}/api`;
const USERS = 4;
const STOCK = 3; // fewer units than buyers, so that one of them meets SOLD_OUT
const START_IN_SECONDS = Number(process.env.DEMO_START_IN_SECONDS || 5);

const step = (text) => console.log(`\n== ${text}`);
const detail = (text) => console.log(`   ${text}`);

class DemoError extends Error {}

async function call(method, path, { token, body, expect } = {}) {
  let response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    throw new DemoError(
      `cannot reach ${API} (${error.cause?.code ?? error.message}): is the service running?`,
    );
  }
  const payload = await response.json().catch(() => ({}));
  // A rate limit is not a wrong setting: say so before any step blames its own inputs.
  if (response.status === 429) throw new DemoError(rateLimited(method, path, response, payload));
  if (expect && response.status !== expect) {
    throw new DemoError(
      `${method} ${path} answered ${response.status}: ${JSON.stringify(payload)}`,
    );
  }
  return { status: response.status, body: payload };
}

function rateLimited(method, path, response, payload) {
  const wait = response.headers.get('retry-after');
  const scope = path.startsWith('/auth/')
    ? 'register + login are limited per IP (THROTTLE_AUTH_LIMIT per THROTTLE_TTL seconds; each demo run makes 5)'
    : 'the service limits requests per client (THROTTLE_* in .env)';
  return (
    `${method} ${path} was rate limited (429 ${payload.code ?? 'TOO_MANY_REQUESTS'}): ${scope}; ` +
    `run the demo again ${wait ? `in ${wait} s` : 'in a minute'}`
  );
}

function table(rows) {
  if (rows.length === 0) return detail('(no rows)');
  const columns = Object.keys(rows[0]);
  const width = (c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (cells) =>
    `   ${cells.map((cell, i) => String(cell).padEnd(width(columns[i]))).join('  ')}`.trimEnd();
  console.log(line(columns));
  console.log(line(columns.map((c) => '-'.repeat(width(c)))));
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
}

async function adminToken() {
  const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = process.env;
  if (!email || !password) {
    throw new DemoError('set ADMIN_EMAIL and ADMIN_PASSWORD (in .env, as for the service) first');
  }
  const login = await call('POST', '/auth/login', { body: { email, password } });
  if (login.status !== 200) {
    throw new DemoError(
      `the admin cannot log in (${login.status} ${login.body.code}): the service creates ${email} at ` +
        'boot when ADMIN_EMAIL and ADMIN_PASSWORD are set; set them and restart it',
    );
  }
  return login.body.accessToken;
}

async function main() {
  const tag = Date.now().toString(36);
  const admin = await adminToken();

  step(`1. Register ${USERS} users`);
  const users = [];
  for (let i = 1; i <= USERS; i += 1) {
    const username = `demo_${tag}_${i}`;
    const { body } = await call('POST', '/auth/register', {
      body: { username, email: `${username}@example.com`, password: 'demo-password-1' },
      expect: 201,
    });
    users.push({ username, token: body.accessToken });
    detail(`registered ${username}`);
  }

  step('2. Create a product (admin)');
  const product = (
    await call('POST', '/products', {
      token: admin,
      body: { name: `Demo sneakers ${tag}`, description: 'npm run demo', price: 129.99 },
      expect: 201,
    })
  ).body;
  detail(`product ${product.id}: ${product.name}, ${product.price}`);

  step(`3. Create a sale starting in ${START_IN_SECONDS} s (admin)`);
  const startTime = new Date(Date.now() + START_IN_SECONDS * 1000);
  const sale = (
    await call('POST', '/sales', {
      token: admin,
      body: {
        productId: product.id,
        startTime: startTime.toISOString(),
        totalQuantity: STOCK,
        maxPerUser: 1,
      },
      expect: 201,
    })
  ).body;
  detail(
    `sale ${sale.id}: ${sale.totalQuantity} units, starts ${sale.startTime}, status ${sale.status}`,
  );
  const early = await call('POST', `/sales/${sale.id}/purchase`, {
    token: users[0].token,
    body: { quantity: 1 },
  });
  detail(`a purchase before the start: ${early.status} ${early.body.code}`);

  step('4. Activate the sale when it is time (admin)');
  const wait = startTime.getTime() - Date.now();
  if (wait > 0) {
    detail(`waiting ${(wait / 1000).toFixed(1)} s for the start time`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const activated = (
    await call('POST', `/sales/${sale.id}/activate`, { token: admin, expect: 200 })
  ).body;
  detail(`status ${activated.status}, ${activated.remainingQuantity} units left`);

  step('5. Purchase attempts from different users (all at once, then a second try by a buyer)');
  const attempts = await Promise.all(
    users.map((user) =>
      call('POST', `/sales/${sale.id}/purchase`, { token: user.token, body: { quantity: 1 } }),
    ),
  );
  // A buyer trying again is told it already bought (its purchase wins over SOLD_OUT).
  const buyer = users[attempts.findIndex((answer) => answer.status === 201)];
  const again = await call('POST', `/sales/${sale.id}/purchase`, {
    token: buyer.token,
    body: { quantity: 1 },
  });
  table(
    [
      ...users.map((user, i) => ({ user, answer: attempts[i] })),
      { user: buyer, answer: again },
    ].map(({ user, answer }) => ({
      user: user.username,
      status: answer.status,
      result: answer.status === 201 ? 'bought 1' : answer.body.code,
    })),
  );

  step('6. The leaderboard (first come, first served)');
  const board = (await call('GET', `/sales/${sale.id}/leaderboard?limit=10`, { expect: 200 })).body;
  table(
    board.items.map((item) => ({
      rank: item.rank,
      username: item.username,
      quantity: item.quantity,
      purchasedAt: item.purchasedAt,
    })),
  );
  const sold = attempts.filter((a) => a.status === 201).length;
  console.log(`\nDone: ${sold} of ${USERS} buyers got one of the ${STOCK} units; sale ${sale.id}.`);
}

main().catch((error) => {
  console.error(`\ndemo stopped: ${error instanceof DemoError ? error.message : error.stack}`);
  process.exit(1);
});
