// Fires one purchase per buyer, each on its own connection, all at once (a crowd shaped like a real one),
// and waits until every buyer has an answer or `timeoutMs` passes. Returns one record per buyer.
const http = require('node:http');

function purchase(base, saleId, token, started, timeoutMs) {
  const { hostname, port } = new URL(base);
  const body = '{"quantity":1}';
  return new Promise((resolve) => {
    const done = (answer) => resolve({ ...answer, at: Date.now() - started });
    const request = http.request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: `/api/sales/${saleId}/purchase`,
        agent: false, // a connection of its own
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          let code;
          try {
            code = JSON.parse(Buffer.concat(chunks).toString()).code;
          } catch {
            code = undefined;
          }
          done({ status: response.statusCode, code });
        });
        response.on('error', (error) => done({ status: 0, error: error.code ?? error.message }));
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    request.on('error', (error) => done({ status: 0, error: error.code ?? error.message }));
    request.end(body);
  });
}

/** `bases`: one URL per instance; buyer i goes to bases[i % bases.length]. */
async function fireCrowd({ bases, saleId, tokens, timeoutMs }) {
  const started = Date.now();
  return Promise.all(
    tokens.map((token, i) => purchase(bases[i % bases.length], saleId, token, started, timeoutMs)),
  );
}

module.exports = { fireCrowd };
