import { connect } from 'node:net';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import { portOpen, waitUntil } from './support/processes';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Every HTTP answer in a byte stream of pipelined answers (their bodies are JSON). */
function answersIn(text: string): Answer[] {
  return text
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((one) => {
      const [head, body] = one.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { status: Number(statusLine.split(' ')[1]), headers, body };
    });
}

function expectShuttingDown(answer: {
  status: number;
  headers: Record<string, string>;
  body: string;
}) {
  expect(answer.status).toBe(503);
  expect(answer.headers['retry-after']).toBe('1');
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body)).toEqual({
    statusCode: 503,
    code: 'SHUTTING_DOWN',
    message: expect.any(String),
  });
}

const port = (app: ChildApp) => Number(new URL(app.url).port);

/**
 * The built service stopped (SIGTERM) while requests keep coming: a request that reaches it once it
 * has begun to close (on a connection it is still serving) is refused in the API's error shape, not in
 * Fastify's own `{"error":"Service Unavailable"}`.
 */
describe('requests during a stop (e2e, real process)', () => {
  let app: ChildApp | undefined;

  afterEach(async () => {
    if (app) await stopChildApp(app, 'SIGKILL');
    app = undefined;
  });

  it('a request pipelined after the stop began gets 503 SHUTTING_DOWN; the one in flight its normal answer', async () => {
    app = await startChildApp('shutdown_pipelined');
    const body = JSON.stringify({ email: 'nobody@example.test', password: 'password-1' });
    const socket = connect(port(app), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    // A request whose body has not all arrived: routed before the stop, so its connection is busy and
    // the stop waits for it instead of closing it as idle.
    socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    app.process.kill('SIGTERM');
    // New connections are refused once the server has begun to close.
    await waitUntil(async () => !(await portOpen(port(app!))), 10_000, 'the port closed');
    socket.write(`${body.slice(10)}GET /api/sales HTTP/1.1\r\nHost: t\r\n\r\n`);
    await closed;

    const [first, second] = answersIn(received);
    expect(first.status).toBe(401);
    expect(JSON.parse(first.body)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expectShuttingDown(second);
    expect(second.headers.connection).toBe('close');
  });

  it('under a steady flow of requests every answer is a normal one or 503 SHUTTING_DOWN', async () => {
    app = await startChildApp('shutdown_flow');
    const url = `${app.url}/api/sales`;
    const answers: Answer[] = [];
    let failedConnections = 0;
    let exited = false;
    const exit = new Promise((resolve) => app!.process.once('exit', resolve)).then(() => {
      exited = true;
    });
    // Eight clients on kept-alive connections (undici's pool), each sending one request after another.
    const client = async () => {
      while (!exited) {
        try {
          const response = await fetch(url);
          answers.push({
            status: response.status,
            headers: Object.fromEntries(response.headers),
            body: await response.text(),
          });
        } catch {
          failedConnections += 1; // refused or closed: no answer to judge
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await waitUntil(() => answers.length >= 200, 20_000, '200 answers before the stop');
    app.process.kill('SIGTERM');
    await exit;
    await Promise.all(clients);

    const refused = answers.filter((answer) => answer.status !== 200);
    console.log(
      `[stop under load] ${answers.length} answers: ${answers.length - refused.length} x 200, ` +
        `${refused.length} x 503; ${failedConnections} connection failures`,
    );
    for (const answer of refused) expectShuttingDown(answer);
    expect(answers.length).toBeGreaterThan(refused.length);
  });
});
