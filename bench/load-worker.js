// Drives one scenario with autocannon and prints its result as one JSON line. Run in its own process so
// that it can be pinned to a core apart from the server (taskset).
const autocannon = require('autocannon');
const { readFileSync } = require('node:fs');

const scenario = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tokens = scenario.tokensFile ? JSON.parse(readFileSync(scenario.tokensFile, 'utf8')) : [];

/**
 * One autocannon per target URL (a storm split over instances), each with its own slice of the users so
 * that a user is never sent to two instances at once by the loader itself.
 */
function targets() {
  const urls = scenario.urls ?? [scenario.url];
  return urls.map((url, i) => ({
    url,
    tokens: tokens.filter((_, n) => n % urls.length === i),
    connections: Math.max(1, Math.floor(scenario.connections / urls.length)),
    amount: scenario.amount ? Math.ceil(scenario.amount / urls.length) : undefined,
  }));
}

function options(target, duration, amount) {
  let next = 0;
  return {
    url: target.url,
    connections: target.connections,
    duration,
    amount,
    requests: [
      {
        method: scenario.method,
        path: scenario.path,
        body: scenario.body,
        headers: scenario.body ? { 'content-type': 'application/json' } : {},
        setupRequest: (request) => {
          if (target.tokens.length === 0) return request;
          const token = target.tokens[next % target.tokens.length];
          next += 1;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  };
}

/** Several autocannon results as one: totals add up, latency is the worst of them. */
function merge(results) {
  if (results.length === 1) return results[0];
  const statusCodeStats = {};
  for (const result of results) {
    for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
      statusCodeStats[code] = { count: (statusCodeStats[code]?.count ?? 0) + stats.count };
    }
  }
  const sum = (pick) => results.reduce((total, result) => total + pick(result), 0);
  const worst = (pick) => Math.max(...results.map(pick));
  return {
    requests: { total: sum((r) => r.requests.total), average: sum((r) => r.requests.average) },
    latency: { p50: worst((r) => r.latency.p50), p99: worst((r) => r.latency.p99) },
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodeStats,
  };
}

async function main() {
  const all = targets();
  if (scenario.warmupSeconds > 0) {
    await Promise.all(all.map((target) => autocannon(options(target, scenario.warmupSeconds))));
  }
  const started = Date.now();
  const result = merge(
    await Promise.all(
      all.map((target) => autocannon(options(target, scenario.seconds, target.amount))),
    ),
  );
  const elapsed = (Date.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({
      requestsPerSecond: scenario.amount
        ? result.requests.total / elapsed
        : result.requests.average,
      total: result.requests.total,
      elapsedSeconds: elapsed,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
      ),
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
