// Drives one scenario with autocannon and prints its result as one JSON line. Run in its own process so
// that it can be pinned to a core apart from the server (taskset).
const autocannon = require('autocannon');
const { readFileSync } = require('node:fs');

const scenario = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tokens = scenario.tokensFile ? JSON.parse(readFileSync(scenario.tokensFile, 'utf8')) : [];
let next = 0;

function options(duration, amount) {
  return {
    url: scenario.url,
    connections: scenario.connections,
    duration,
    amount,
    requests: [
      {
        method: scenario.method,
        path: scenario.path,
        body: scenario.body,
        headers: scenario.body ? { 'content-type': 'application/json' } : {},
        setupRequest: (request) => {
          if (tokens.length === 0) return request;
          const token = tokens[next % tokens.length];
          next += 1;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  };
}

async function main() {
  if (scenario.warmupSeconds > 0) await autocannon(options(scenario.warmupSeconds));
  const started = Date.now();
  const result = await autocannon(options(scenario.seconds, scenario.amount));
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
