// The crowds of issue 19: one connection per buyer, all fired at once, against fresh instances of the
// built service with the admission gate on and off in the same run. Prints, per crowd, the database
// commands per accepted purchase and per refusal, when the last unit sold, when the last buyer heard
// back, p50/p99 of answers and of refusals, and the invariants. Command counts are the noise-free figure.
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { ObjectId } = require('mongodb');
const { fireCrowd } = require('./crowd-load');
const { openSaleDocument } = require('./sale-document');

/** Commands an accepted purchase needs on the standalone path: reserve, take, confirm. */
const COMMANDS_PER_PURCHASE = 3;

function crowdsFor(smoke, selected) {
  const crowds = smoke
    ? [{ name: 'C1', buyers: 500, stock: 50, instances: 1 }]
    : [
        { name: 'C1', buyers: 5_000, stock: 500, instances: 1 },
        { name: 'C2', buyers: 20_000, stock: 1_000, instances: 1 },
        { name: 'C3', buyers: 5_000, stock: 500, instances: 2 },
      ];
  // C2 needs ~20,000 file descriptors on each side: opt in (--only=C2, or BENCH_BIG_CROWD=1).
  const wanted = (crowd) =>
    crowd.name === 'C2'
      ? process.env.BENCH_BIG_CROWD === '1' || selected.explicit('C2')
      : selected(crowd.name);
  return crowds.filter(wanted);
}

const percentile = (sorted, p) =>
  sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function summarize(answers, stock) {
  const times = (list) => list.map((a) => a.at).sort((x, y) => x - y);
  const accepted = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status >= 400);
  const statuses = {};
  for (const a of answers) {
    const key =
      a.status === 0 ? `no answer (${a.error})` : `${a.status}${a.code ? ` ${a.code}` : ''}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const all = times(answers.filter((a) => a.status !== 0));
  const refusals = times(refused);
  return {
    buyers: answers.length,
    stock,
    accepted: accepted.length,
    refused: refused.length,
    unanswered: answers.filter((a) => a.status === 0).length,
    statuses,
    lastAcceptanceMs: accepted.length ? Math.max(...accepted.map((a) => a.at)) : null,
    allAnsweredMs: all.at(-1) ?? null,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    refusalP50Ms: percentile(refusals, 50),
    refusalP99Ms: percentile(refusals, 99),
  };
}

function attributeCommands(commands, result) {
  const total = Object.values(commands).reduce((sum, n) => sum + n, 0);
  const reachedDatabase = commands['insert purchases'] ?? 0;
  const beyondPurchases = Math.max(0, total - COMMANDS_PER_PURCHASE * result.accepted);
  return {
    total,
    perAccepted: result.accepted ? total / result.accepted : null,
    // What the refusals cost at most: everything beyond the three commands of each accepted purchase.
    perRefusal: result.refused ? beyondPurchases / result.refused : 0,
    refusalsThatReachedDatabase: Math.max(0, reachedDatabase - result.accepted),
    breakdown: commands,
  };
}

/** An open sale of `stock` units, as the service stores one. */
const saleDocument = (_id, name, stock, now) =>
  openSaleDocument({
    _id,
    name,
    product: { _id: new ObjectId(), name: 'Crowd sneakers', priceCents: 12999 },
    stock,
    now,
  });

async function ledgerOf(client, dbName, saleId) {
  const db = client.db(dbName);
  const sale = await db.collection('sales').findOne({ _id: saleId });
  const records = await db.collection('purchases').find({ saleId }).toArray();
  const confirmed = records.filter((r) => r.state === 'confirmed');
  return {
    soldQuantity: sale.soldQuantity,
    remainingQuantity: sale.remainingQuantity,
    confirmed: confirmed.length,
    pending: records.length - confirmed.length,
    distinctBuyers: new Set(confirmed.map((r) => String(r.userId))).size,
  };
}

function line(name, gate, result, commands, ledger) {
  const ms = (value) => (value === null ? '-' : `${value} ms`);
  const statuses = Object.entries(result.statuses)
    .map(([key, n]) => `${key}:${n}`)
    .join(' ');
  return [
    `  ${name} gate ${gate.padEnd(3)} ${result.buyers} buyers / ${result.stock} units: ${result.accepted} bought, ${result.unanswered} without an answer  [${statuses}]`,
    `      last 201 at ${ms(result.lastAcceptanceMs)}, every buyer answered at ${ms(result.allAnsweredMs)}; answers p50 ${result.p50Ms} / p99 ${result.p99Ms} ms, refusals p50 ${result.refusalP50Ms} / p99 ${result.refusalP99Ms} ms`,
    `      commands: ${commands.total} = ${commands.perAccepted?.toFixed(2) ?? '-'} per 201, ${commands.perRefusal.toFixed(3)} per refusal (beyond ${COMMANDS_PER_PURCHASE} per 201); ${commands.refusalsThatReachedDatabase} refusals reached the database  (${Object.entries(
      commands.breakdown,
    )
      .map(([k, n]) => `${k}:${n}`)
      .join(' ')})`,
    `      ledger: sold ${ledger.soldQuantity}, remaining ${ledger.remainingQuantity}, ${ledger.confirmed} purchases by ${ledger.distinctBuyers} buyers, ${ledger.pending} pending left`,
  ].join('\n');
}

/**
 * `ctx`: the bench's own helpers (startService, waitFor, freePorts, commandCounts, commandsDelta, sign,
 * serviceEnv, redisUrl, uri, dbName, smoke, selected, children).
 */
async function runCrowds(ctx) {
  const crowds = crowdsFor(ctx.smoke, ctx.selected);
  if (crowds.length === 0) return [];
  const { MongoClient } = require('mongodb');
  ctx = { ...ctx, client: await MongoClient.connect(ctx.uri) };
  console.log('\nCrowds (one connection per buyer, all at once; the gate on, then off):');
  const timeoutMs = Number(process.env.BENCH_CROWD_TIMEOUT_MS) || (ctx.smoke ? 30_000 : 120_000);
  const reports = [];
  try {
    for (const crowd of crowds) {
      for (const gate of ['on', 'off']) reports.push(await runCrowd(ctx, crowd, gate, timeoutMs));
    }
  } finally {
    await ctx.client.close();
  }
  return reports;
}

async function runCrowd(ctx, crowd, gate, timeoutMs) {
  const saleId = new ObjectId();
  const now = Date.now();
  await ctx.client
    .db(ctx.dbName)
    .collection('sales')
    .insertOne(saleDocument(saleId, `${crowd.name} gate ${gate}`, crowd.stock, now));
  const tokens = Array.from({ length: crowd.buyers }, (_, i) =>
    ctx.sign({ id: new ObjectId(), username: `crowd_${crowd.name}_${gate}_${i}` }),
  );
  const ports = await ctx.freePorts(crowd.instances);
  const env = {
    ...ctx.serviceEnv,
    ADMISSION_GATE: gate === 'on' ? 'true' : 'false',
    // A crowd larger than the defaults (10,000 connections, 10,000 in line per sale and instance).
    MAX_CONNECTIONS: String(crowd.buyers + 1_000),
    ADMISSION_QUEUE_CAP: String(crowd.buyers),
    // On the stand-in a sale of 500 takes tens of seconds (its takes are serialized, its inserts slow):
    // waiters may wait up to just below the idle timeout instead of being sent away after 5 s.
    ADMISSION_MAX_WAIT_MS: process.env.BENCH_CROWD_MAX_WAIT_MS ?? '55000',
    ...(crowd.instances > 1
      ? {
          REDIS_URL: ctx.redisUrl,
          REDIS_PREFIX: `bench-crowd-${process.pid}-${crowd.name}-${gate}:`,
        }
      : {}),
  };
  const files = ports.map((port) => join(tmpdir(), `bench-${process.pid}-crowd-${port}.json`));
  const servers = ports.map((port, i) =>
    ctx.startService(port, { ...env, BENCH_COMMANDS_FILE: files[i] }),
  );
  ctx.children.push(...servers);
  try {
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    for (const [i, server] of servers.entries()) await waitUp(`${bases[i]}/health`, server);
    const before = await Promise.all(files.map((file) => ctx.commandCounts(file)));
    const answers = await fireCrowd({ bases, saleId: saleId.toHexString(), tokens, timeoutMs });
    const after = await Promise.all(files.map((file) => ctx.commandCounts(file)));
    const commands = {};
    for (const [i, file] of files.entries()) {
      void file;
      for (const [key, n] of Object.entries(ctx.commandsDelta(before[i], after[i]))) {
        commands[key] = (commands[key] ?? 0) + n;
      }
    }
    const result = summarize(answers, crowd.stock);
    const costs = attributeCommands(commands, result);
    const ledger = await ledgerOf(ctx.client, ctx.dbName, saleId);
    const invariants = {
      exactStock: ledger.soldQuantity === crowd.stock && ledger.remainingQuantity === 0,
      oncePerBuyer: ledger.distinctBuyers === ledger.confirmed,
      acceptedAreRecords: result.accepted <= ledger.confirmed,
      everyBuyerAnswered: result.unanswered === 0,
    };
    console.log(line(crowd.name, gate, result, costs, ledger));
    console.log(
      `      invariants: ${Object.entries(invariants)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    // Overselling or a buyer counted twice breaks the run; an unanswered buyer or a short sale is reported.
    const broken = ledger.soldQuantity > crowd.stock || !invariants.oncePerBuyer;
    return {
      name: `${crowd.name}-${gate}`,
      ...crowd,
      gate,
      ...result,
      commands: costs,
      ledger,
      invariants,
      broken,
    };
  } finally {
    // The next crowd starts only once these are gone: their shutdown costs the machine's CPU too.
    await Promise.all(servers.map((server) => stop(server)));
  }
}

/** A loaded machine can take a minute to boot the service; a crowd waits for it. */
async function waitUp(url, child) {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    if (child.exitCode !== null)
      throw new Error(`the service exited (${child.exitCode}): ${child.log}`);
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up within 120 s: ${child.log}`);
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return exited.finally(() => clearTimeout(force));
}

module.exports = { runCrowds };
