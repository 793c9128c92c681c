// `npm run postman` (node scripts/postman-collection.js [file]): writes postman/flash-sale.postman_collection.json, the seed's "Testing the System"
// as a Postman collection: register buyers, the admin logs in, a product, a sale, activate it, buy, buy
// again (409), the leaderboard, my purchases. Tokens and ids pass from request to request through
// collection variables; each request's test script asserts its status. Import it into Postman (or run
// `npx newman run postman/flash-sale.postman_collection.json --env-var baseUrl=http://localhost:5000`).
// test/postman.e2e-spec.ts keeps the file equal to this script's output and runs it with newman.
const { writeFileSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

const FILE = join(__dirname, '..', 'postman', 'flash-sale.postman_collection.json');

/** Collection variables; environment variables of the same name win (Postman's scopes). */
const VARIABLES = {
  baseUrl: 'http://localhost:5000',
  // The admin the service makes at boot from ADMIN_EMAIL / ADMIN_PASSWORD (.env.example's values).
  adminEmail: 'admin@example.com',
  adminPassword: 'change-me-please',
};

/** Each step: a request, the status it must answer, and what it hands to the next steps. */
const STEPS = [
  {
    name: '0. Health',
    method: 'GET',
    path: '/health',
    status: 200,
    checks: ["pm.expect(body.status).to.eql('ok');"],
  },
  {
    name: '1a. Register buyer 1',
    method: 'POST',
    path: '/api/auth/register',
    // A run tag keeps names unique, so the collection can be run again against the same database.
    prerequest: [
      "pm.collectionVariables.set('run', Date.now().toString(36) + Math.random().toString(36).slice(2, 6));",
    ],
    body: {
      username: 'buyer1_{{run}}',
      email: 'buyer1_{{run}}@example.com',
      password: 'buyer-password-1',
    },
    status: 201,
    checks: ["pm.collectionVariables.set('buyer1Token', body.accessToken);"],
  },
  {
    name: '1b. Register buyer 2',
    method: 'POST',
    path: '/api/auth/register',
    body: {
      username: 'buyer2_{{run}}',
      email: 'buyer2_{{run}}@example.com',
      password: 'buyer-password-2',
    },
    status: 201,
    checks: ["pm.collectionVariables.set('buyer2Token', body.accessToken);"],
  },
  {
    name: '2a. Admin logs in',
    method: 'POST',
    path: '/api/auth/login',
    body: { email: '{{adminEmail}}', password: '{{adminPassword}}' },
    status: 200,
    checks: [
      "pm.expect(body.user.role, 'ADMIN_EMAIL is an admin').to.eql('admin');",
      "pm.collectionVariables.set('adminToken', body.accessToken);",
    ],
  },
  {
    name: '2b. Create a product (admin)',
    method: 'POST',
    path: '/api/products',
    token: 'adminToken',
    body: { name: 'Postman sneakers {{run}}', description: 'Only one pair', price: 129.99 },
    status: 201,
    checks: [
      'pm.expect(body.price).to.eql(129.99);',
      "pm.collectionVariables.set('productId', body.id);",
    ],
  },
  {
    name: '3. Create a sale starting in an hour (admin)',
    method: 'POST',
    path: '/api/sales',
    token: 'adminToken',
    prerequest: [
      "pm.collectionVariables.set('saleStart', new Date(Date.now() + 3600 * 1000).toISOString());",
    ],
    body: {
      productId: '{{productId}}',
      startTime: '{{saleStart}}',
      totalQuantity: 1,
      maxPerUser: 1,
    },
    status: 201,
    checks: [
      "pm.expect(body.status).to.eql('scheduled');",
      "pm.collectionVariables.set('saleId', body.id);",
    ],
  },
  {
    name: '3b. A purchase before the start is refused',
    method: 'POST',
    path: '/api/sales/{{saleId}}/purchase',
    token: 'buyer1Token',
    body: { quantity: 1 },
    status: 409,
    checks: ["pm.expect(body.code).to.eql('SALE_NOT_STARTED');"],
  },
  {
    name: '4. Activate the sale now (admin)',
    method: 'POST',
    path: '/api/sales/{{saleId}}/activate',
    token: 'adminToken',
    status: 200,
    checks: ["pm.expect(body.status).to.eql('active');"],
  },
  {
    name: '5a. Buyer 1 buys',
    method: 'POST',
    path: '/api/sales/{{saleId}}/purchase',
    token: 'buyer1Token',
    body: { quantity: 1 },
    status: 201,
    checks: ["pm.expect(body.saleId).to.eql(pm.collectionVariables.get('saleId'));"],
  },
  {
    name: '5b. Buyer 1 buys again: 409',
    method: 'POST',
    path: '/api/sales/{{saleId}}/purchase',
    token: 'buyer1Token',
    body: { quantity: 1 },
    status: 409,
    checks: ["pm.expect(body.code).to.eql('ALREADY_PURCHASED');"],
  },
  {
    name: '5c. Buyer 2 finds it sold out: 409',
    method: 'POST',
    path: '/api/sales/{{saleId}}/purchase',
    token: 'buyer2Token',
    body: { quantity: 1 },
    status: 409,
    checks: ["pm.expect(body.code).to.eql('SOLD_OUT');"],
  },
  {
    name: '6. The leaderboard',
    method: 'GET',
    path: '/api/sales/{{saleId}}/leaderboard',
    status: 200,
    checks: [
      'pm.expect(body.total).to.eql(1);',
      "pm.expect(body.items[0]).to.include({ rank: 1, username: 'buyer1_' + pm.collectionVariables.get('run') });",
    ],
  },
  {
    name: '7. My purchases (buyer 1)',
    method: 'GET',
    path: '/api/purchases/me',
    token: 'buyer1Token',
    status: 200,
    checks: [
      'pm.expect(body.total).to.eql(1);',
      "pm.expect(body.items[0].saleId).to.eql(pm.collectionVariables.get('saleId'));",
    ],
  },
];

function testScript(step) {
  return [
    `pm.test('${step.method} ${step.path} answers ${step.status}', function () {`,
    `  pm.response.to.have.status(${step.status});`,
    '});',
    `pm.test('${step.name}: the answer is as expected', function () {`,
    '  const body = pm.response.json();',
    ...step.checks.map((line) => `  ${line}`),
    '});',
  ];
}

function item(step) {
  const events = [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(step) } }];
  if (step.prerequest) {
    events.unshift({
      listen: 'prerequest',
      script: { type: 'text/javascript', exec: step.prerequest },
    });
  }
  return {
    name: step.name,
    event: events,
    request: {
      method: step.method,
      auth: step.token
        ? { type: 'bearer', bearer: [{ key: 'token', value: `{{${step.token}}}`, type: 'string' }] }
        : { type: 'noauth' },
      header: step.body ? [{ key: 'Content-Type', value: 'application/json' }] : [],
      ...(step.body
        ? {
            body: {
              mode: 'raw',
              raw: JSON.stringify(step.body, null, 2),
              options: { raw: { language: 'json' } },
            },
          }
        : {}),
      url: `{{baseUrl}}${step.path}`,
    },
  };
}

function buildCollection() {
  return {
    info: {
      name: 'Flash-sale: the test plan',
      description:
        'Register buyers, the admin logs in, a product and a sale, activate, buy, buy again (409), ' +
        'the leaderboard, my purchases. Set baseUrl (and adminEmail/adminPassword if yours differ ' +
        'from .env.example), then run the collection in order.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    variable: Object.entries(VARIABLES).map(([key, value]) => ({ key, value, type: 'string' })),
    item: STEPS.map(item),
  };
}

const render = () => `${JSON.stringify(buildCollection(), null, 2)}\n`;

module.exports = { FILE, STEPS, render };

if (require.main === module) {
  const file = process.argv[2] ?? FILE;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, render());
  console.log(`Postman collection written to ${file}`);
}
