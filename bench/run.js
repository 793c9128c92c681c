// `npm run bench`: the real service against a bare node:http baseline, loaded the same way in one run.
// `npm run bench -- --smoke`: a few seconds per scenario; only the invariants matter (used by CI).
// Exits non-zero only when an invariant breaks, never because of a speed figure.
const { spawn, execFileSync } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir, cpus } = require('node:os');
const { randomBytes } = require('node:crypto');
const { MongoClient, ObjectId } = require('mongodb');
const jwt = require('jsonwebtoken');

const ROOT = join(__dirname, '..');
const smoke = process.argv.includes('--smoke');
// --profile writes a V8 CPU profile of the server to bench/results (open it in Chrome DevTools).
const profile = process.argv.includes('--profile');
// --only=R1,P1 runs just those scenarios (with B and F, the calibration points, always).
const only = (process.argv.find((arg) => arg.startsWith('--only=')) ?? '')
  .slice(7)
  .split(',')
  .filter(Boolean);
const selected = (name) =>
  ['B', 'B2', 'F'].includes(name) || only.length === 0 || only.includes(name);
const CONFIG = {
  connections: 100,
  warmupSeconds: smoke ? 1 : 3,
  seconds: Number(process.env.BENCH_SECONDS) || (smoke ? 2 : 10),
  users: smoke ? 1500 : 4000,
  stormStock: smoke ? 150 : 300,
};
const SECRET = randomBytes(32).toString('hex');
const canPin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function pinned(core, command, args) {
  return canPin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}

function startProcess(core, args, env) {
  const [command, argv] = pinned(core, process.execPath, args);
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk) => output.push(chunk.toString()));
  child.output = output;
  return child;
}

async function waitFor(url, child) {
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`process exited:\n${child.output.join('')}`);
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up:\n${child.output.join('')}`);
}

function rssMegabytes(pid) {
  // Under taskset the child is taskset itself only until exec: the pid is the node process then.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function load(name, scenario) {
  const file = join(tmpdir(), `bench-${process.pid}-${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      connections: CONFIG.connections,
      warmupSeconds: CONFIG.warmupSeconds,
      seconds: CONFIG.seconds,
      ...scenario,
    }),
  );
  const [command, argv] = pinned(1, process.execPath, [join(__dirname, 'load-worker.js'), file]);
  const out = execFileSync(command, argv, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).toString();
  return JSON.parse(out.trim().split('\n').pop());
}

async function startDatabase() {
  if (process.env.MONGO_URI)
    return { uri: process.env.MONGO_URI, engine: 'external', stop: async () => {} };
  const { startEmbeddedDatabase } = require(join(ROOT, 'dist', 'database', 'embedded-database'));
  return startEmbeddedDatabase({ log: (line) => console.log(`[bench db] ${line}`) });
}

function withDatabaseName(uri, name) {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.toString();
}

async function seed(db, users) {
  const now = Date.now();
  const product = {
    _id: new ObjectId(),
    name: 'Bench sneakers',
    description: '',
    priceCents: 12999,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  await db.collection('products').insertOne(product);
  const sale = (name, fields) => ({
    _id: new ObjectId(),
    name,
    productId: product._id,
    product: { name: product.name, priceCents: product.priceCents },
    startTime: new Date(now - 60_000),
    endTime: null,
    totalQuantity: 1000,
    remainingQuantity: 1000,
    soldQuantity: 0,
    maxPerUser: 1,
    status: 'active',
    activatedAt: new Date(now - 60_000),
    acceptedSeq: 0,
    lastAcceptedAt: null,
    auditDue: false,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...fields,
  });
  const readable = sale('R: polled', {
    remainingQuantity: 900,
    soldQuantity: 100,
    acceptedSeq: 100,
  });
  const soldOut = sale('P1: sold out', {
    totalQuantity: 100,
    remainingQuantity: 0,
    soldQuantity: 100,
    acceptedSeq: 100,
    status: 'sold_out',
  });
  const notStarted = sale('P2: not started', {
    startTime: new Date(now + 24 * 3600_000),
    status: 'scheduled',
    activatedAt: null,
  });
  const storm = sale('S: storm', {
    totalQuantity: CONFIG.stormStock,
    remainingQuantity: CONFIG.stormStock,
  });
  await db.collection('sales').insertMany([readable, soldOut, notStarted, storm]);
  await db.collection('users').insertMany(
    users.map((user) => ({
      _id: user.id,
      username: user.username,
      usernameKey: user.username,
      email: `${user.username}@bench.test`,
      passwordHash: 'x',
      role: 'user',
      createdAt: new Date(),
      updatedAt: new Date(),
    })),
  );
  // 100 buyers on the polled sale, so the leaderboard page has 50 real rows.
  await db.collection('purchases').insertMany(
    users.slice(0, 100).map((user, i) => ({
      saleId: readable._id,
      userId: user.id,
      username: user.username,
      saleName: readable.name,
      productName: product.name,
      quantity: 1,
      state: 'confirmed',
      seq: i + 1,
      attemptedAt: new Date(now - 50_000 + i),
      purchasedAt: new Date(now - 50_000 + i),
    })),
  );
  return { readable, soldOut, notStarted, storm };
}

/** GET a JSON body, retrying a socket the server closed between scenarios (idle keep-alive). */
async function getJson(url) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return await response.json();
    } catch (error) {
      if (attempt >= 3) throw error;
      await sleep(200);
    }
  }
}

async function stormInvariants(base, saleId, accepted) {
  const sale = await getJson(`${base}/api/sales/${saleId}`);
  const rows = [];
  for (let page = 1; ; page += 1) {
    const board = await getJson(`${base}/api/sales/${saleId}/leaderboard?page=${page}&limit=100`);
    rows.push(...board.items);
    if (board.items.length < 100) break;
  }
  const units = rows.reduce((sum, row) => sum + row.quantity, 0);
  const usernames = new Set(rows.map((row) => row.username));
  return {
    oversold: Math.max(0, units - sale.totalQuantity, -sale.remainingQuantity),
    duplicates: rows.length - usernames.size,
    countersMatchRecords:
      sale.soldQuantity === units && sale.totalQuantity - sale.remainingQuantity === units,
    acceptedResponsesMatchRecords: accepted === rows.length,
    soldQuantity: sale.soldQuantity,
    remainingQuantity: sale.remainingQuantity,
    buyers: rows.length,
  };
}

/** The server's running command totals (bench/command-counter.js writes them every 100 ms). */
async function commandCounts(file) {
  await sleep(250);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/**
 * Commands issued while a scenario ran. The scheduler's sweeps and the reconciler's recount (`update sales`),
 * the job lease's renewals (`update leases`) and the driver's own monitoring (`hello`, `ping`, `endSessions`)
 * do not come from requests: left out.
 */
const BACKGROUND = new Set([
  'update sales',
  'update leases',
  'hello',
  'ping',
  'endSessions',
  'isMaster',
  'ismaster',
]);
function commandsDelta(before, after) {
  const delta = {};
  for (const [key, count] of Object.entries(after)) {
    const n = count - (before[key] ?? 0);
    if (n > 0 && !BACKGROUND.has(key)) delta[key] = n;
  }
  return delta;
}

function commandTable(rows) {
  const lines = rows
    .filter((row) => row.commands)
    .map((row) => {
      const requests = Object.values(row.statusCodes).reduce((sum, n) => sum + n, 0);
      const total = Object.values(row.commands).reduce((sum, n) => sum + n, 0);
      const accepted = row.statusCodes['201'] ?? 0;
      const perAccepted = accepted ? `, ${(total / accepted).toFixed(2)} per 201` : '';
      const breakdown = Object.entries(row.commands)
        .map(([key, n]) => `${key}:${n}`)
        .join(' ');
      return `  ${row.name.padEnd(3)} ${String(total).padStart(7)} commands for ${requests} requests = ${(total / Math.max(1, requests)).toFixed(4)} per request${perAccepted}  (${breakdown || 'none'})`;
    });
  return ['Database commands from requests (driver command monitoring):', ...lines].join('\n');
}

/** Live heap (MB) after each full (mark-compact) GC the server logged. */
function liveHeapAfterFullGcs(logFile) {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return [...text.matchAll(/Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+)/g)].map(
    (m) => Number(m[1]),
  );
}

function table(rows, baseline) {
  const header = [
    'scenario',
    'req/s',
    'ratio',
    'p50 ms',
    'p99 ms',
    'errors',
    'server RSS MB',
    'statuses',
  ];
  const lines = rows.map((row) => [
    row.name,
    row.requestsPerSecond.toFixed(0),
    baseline ? (row.requestsPerSecond / baseline).toFixed(2) : '-',
    String(row.p50),
    String(row.p99),
    String(row.errors),
    ['B', 'B2', 'F'].includes(row.name) ? '-' : row.rssAfterMegabytes.toFixed(0),
    Object.entries(row.statusCodes)
      .map(([code, count]) => `${code}:${count}`)
      .join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join(
    '\n',
  );
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'main.js')))
    throw new Error('run `npm run build` first (npm run bench does)');
  const database = await startDatabase();
  const dbName = `bench_${Date.now()}`;
  const uri = withDatabaseName(database.uri, dbName);
  const serverPort = 5600 + Math.floor(Math.random() * 300);
  const baselinePort = serverPort + 1;
  const children = [];
  try {
    const profileArgs = profile
      ? ['--cpu-prof', `--cpu-prof-dir=${join(__dirname, 'results')}`]
      : [];
    // BENCH_SERVER_FLAGS='--max-semi-space-size=4' etc.: node flags for the server alone, for experiments.
    profileArgs.push(...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean));
    // --trace-gc tells live heap (after each full GC) apart from the headroom V8 keeps between GCs.
    profileArgs.push('--trace-gc');
    const commandsFile = join(tmpdir(), `bench-${process.pid}-commands.json`);
    const server = startProcess(
      0,
      [
        ...profileArgs,
        '-r',
        join(ROOT, 'test', 'support', 'standin-workarounds.js'),
        '-r',
        join(__dirname, 'command-counter.js'),
        join(ROOT, 'dist', 'main.js'),
      ],
      {
        NODE_ENV: 'production',
        PORT: String(serverPort),
        MONGO_URI: uri,
        TEST_DB_ENGINE: database.engine,
        BENCH_COMMANDS_FILE: commandsFile,
        JWT_SECRET: SECRET,
        THROTTLE_LIMIT: '1000000000',
        THROTTLE_PURCHASE_LIMIT: '1000000000',
        THROTTLE_AUTH_LIMIT: '1000000000',
        // Production hides the engine from /health by default; the bench reports it.
        HEALTH_DETAILS: 'local',
      },
    );
    children.push(server);
    const serverLog =
      process.env.BENCH_SERVER_LOG ?? join(tmpdir(), `bench-${process.pid}-server.log`);
    server.output.length = 0;
    server.stdout.removeAllListeners('data');
    server.stdout.pipe(require('node:fs').createWriteStream(serverLog));
    const baseline = startProcess(0, [join(__dirname, 'baseline-server.js')], {
      PORT: String(baselinePort),
    });
    children.push(baseline);
    const floorPort = baselinePort + 1;
    const floor = startProcess(0, [join(__dirname, 'nest-floor-server.js')], {
      PORT: String(floorPort),
    });
    children.push(floor);
    const base = `http://127.0.0.1:${serverPort}`;
    await waitFor(`${base}/health`, server);
    await waitFor(`http://127.0.0.1:${baselinePort}/`, baseline);
    await waitFor(`http://127.0.0.1:${floorPort}/`, floor);
    const health = await getJson(`${base}/health`);

    const client = await MongoClient.connect(uri);
    const users = Array.from({ length: CONFIG.users }, (_, i) => ({
      id: new ObjectId(),
      username: `bench_${i}`,
    }));
    const sales = await seed(client.db(), users);
    await client.close();
    const tokensFile = join(tmpdir(), `bench-${process.pid}-tokens.json`);
    const sign = (user) =>
      jwt.sign({ sub: user.id.toHexString(), username: user.username, role: 'user' }, SECRET, {
        algorithm: 'HS256',
        expiresIn: '1h',
        // The service's defaults (JWT_ISSUER, JWT_AUDIENCE): it refuses tokens without them.
        issuer: 'flash-sale',
        audience: 'flash-sale-api',
      });
    writeFileSync(tokensFile, JSON.stringify(users.map(sign)));
    const stormTokensFile = join(tmpdir(), `bench-${process.pid}-storm-tokens.json`);
    writeFileSync(stormTokensFile, JSON.stringify(users.slice(100).map(sign)));

    const rssBefore = rssMegabytes(server.pid);
    const results = [];
    const run = async (name, description, scenario) => {
      if (!selected(name)) return undefined;
      const before = await commandCounts(commandsFile);
      const loaded = await load(name, scenario);
      const commands = commandsDelta(before, await commandCounts(commandsFile));
      const result = {
        name,
        description,
        ...loaded,
        rssAfterMegabytes: rssMegabytes(server.pid),
        ...(scenario.url === base ? { commands } : {}),
      };
      results.push(result);
      console.log(
        `  ${name.padEnd(3)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99} ms  ${description}`,
      );
      return result;
    };
    console.log(
      `Engine: ${health.engine}; ${CONFIG.connections} connections; ${canPin ? 'server on core 0, loader on core 1' : 'no taskset: unpinned'}`,
    );
    const baselineScenario = { url: `http://127.0.0.1:${baselinePort}`, method: 'GET', path: '/' };
    const b = await run('B', 'bare node:http baseline', baselineScenario);
    await run('F', 'bare NestJS+Fastify POST with a JSON body (framework floor)', {
      url: `http://127.0.0.1:${floorPort}`,
      method: 'POST',
      path: '/floor/purchase',
      body: '{"quantity":1}',
    });
    await run('R1', 'GET /api/sales/:id', {
      url: base,
      method: 'GET',
      path: `/api/sales/${sales.readable._id}`,
    });
    await run('R2', 'GET /api/sales/:id/leaderboard?limit=50', {
      url: base,
      method: 'GET',
      path: `/api/sales/${sales.readable._id}/leaderboard?limit=50`,
    });
    const purchaseOn = (sale, tokens) => ({
      url: base,
      method: 'POST',
      path: `/api/sales/${sale._id}/purchase`,
      body: '{"quantity":1}',
      tokensFile: tokens,
    });
    await run(
      'P1',
      'purchase on a sold-out sale, many users',
      purchaseOn(sales.soldOut, tokensFile),
    );
    await run(
      'P2',
      'purchase before startTime, many users',
      purchaseOn(sales.notStarted, tokensFile),
    );
    const stormUsers = users.length - 100;
    const s = await run('S', `${stormUsers} distinct users race for ${CONFIG.stormStock} units`, {
      ...purchaseOn(sales.storm, stormTokensFile),
      warmupSeconds: 0,
      seconds: 60,
      amount: stormUsers,
    });
    // The machine is shared: the baseline is measured again at the end and ratios use the mean of both.
    const bAgain = await run('B2', 'bare node:http baseline, again at the end', baselineScenario);
    const baselineRate = (b.requestsPerSecond + bAgain.requestsPerSecond) / 2;
    const rssAfter = rssMegabytes(server.pid);
    const liveHeap = liveHeapAfterFullGcs(serverLog);
    const accepted = s?.statusCodes['201'] ?? 0;
    if (s) s.acceptedPerSecond = accepted / s.elapsedSeconds;
    const invariants = s ? await stormInvariants(base, sales.storm._id, accepted) : undefined;

    const report = {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        pinned: canPin,
      },
      engine: health.engine,
      config: { ...CONFIG, smoke },
      baselineRequestsPerSecond: baselineRate,
      scenarios: results.map((r) => ({
        ...r,
        ratioToBaseline: r.requestsPerSecond / baselineRate,
      })),
      rssMegabytes: { before: rssBefore, after: rssAfter, growth: rssAfter - rssBefore },
      liveHeapAfterFullGcMegabytes: liveHeap,
      storm: s ? { accepted, acceptedPerSecond: s.acceptedPerSecond, ...invariants } : undefined,
    };
    console.log(`\n${table(results, baselineRate)}\n`);
    console.log(`${commandTable(results)}\n`);
    console.log(`Ratios are against the mean of B and B2: ${baselineRate.toFixed(0)} req/s`);
    console.log(`Engine and transactions: ${health.engine}`);
    console.log(
      `Server RSS: ${rssBefore.toFixed(1)} MB before, ${rssAfter.toFixed(1)} MB after (growth ${(rssAfter - rssBefore).toFixed(1)} MB)`,
    );
    if (liveHeap.length > 0) {
      console.log(
        `Live heap after full GCs (MB): first ${liveHeap[0]}, last ${liveHeap.at(-1)}, max ${Math.max(...liveHeap)} over ${liveHeap.length} GCs`,
      );
    }
    if (!invariants) return;
    console.log(
      `Storm: ${accepted} accepted (${s.acceptedPerSecond.toFixed(0)}/s); oversold ${invariants.oversold}, duplicate buyers ${invariants.duplicates}, counters == records: ${invariants.countersMatchRecords}, 201s == records: ${invariants.acceptedResponsesMatchRecords}`,
    );
    const resultsDir = join(__dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(
      resultsDir,
      `${smoke ? 'smoke' : 'bench'}-${report.at.replace(/[:.]/g, '-')}.json`,
    );
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`Written: ${file}`);

    // A request the loader gave up on (timeout) may still have been accepted: then the 201 count cannot be
    // compared with the records, but the stock invariants must hold whatever the client saw.
    const broken =
      invariants.oversold !== 0 ||
      invariants.duplicates !== 0 ||
      !invariants.countersMatchRecords ||
      (s.errors === 0 && !invariants.acceptedResponsesMatchRecords);
    if (invariants.soldQuantity !== CONFIG.stormStock) {
      console.warn(
        `Note: ${invariants.soldQuantity} of ${CONFIG.stormStock} units sold (loader errors: ${s.errors})`,
      );
    }
    if (broken) {
      console.error('INVARIANT BROKEN: see the storm line above');
      process.exitCode = 1;
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(300);
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
