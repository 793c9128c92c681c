import { connect } from 'node:net';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';

const THREE_MB = 3 * 1024 * 1024;

/** A register body of about `bytes` (BODY_LIMIT_BYTES is 64 KiB by default). */
const registerBody = (bytes: number) =>
  JSON.stringify({
    username: 'x'.repeat(bytes),
    email: 'big@example.test',
    password: 'password-1',
  });

function expectTooLarge(status: number, body: unknown) {
  expect(status).toBe(413);
  expect(body).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) });
}

/**
 * A client that sends more than the limit must be able to read the 413. The service decides from
 * Content-Length before the body arrives; if it then closed at once, the kernel would reset the
 * connection under a client still sending (EPIPE), which may lose the answer as well. It reads and
 * discards the rest of the body first (bounded), as nginx's lingering close does.
 */
describe('an oversized body gets its 413 (e2e, real process)', () => {
  let app: ChildApp;

  beforeAll(async () => {
    app = await startChildApp('oversized_body');
  });
  afterAll(() => stopChildApp(app, 'SIGTERM'));

  it('10 tries of a 3 MB body through fetch (undici) all read the 413 in the error shape', async () => {
    const body = registerBody(THREE_MB);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      try {
        const response = await fetch(`${app.url}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expectTooLarge(response.status, await response.json());
        outcomes.push('413');
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcomes.push(String(cause?.code ?? error));
      }
    }
    expect(outcomes).toEqual(Array(10).fill('413'));
  });

  it('a client that writes the whole 3 MB before reading meets no reset and reads the 413', async () => {
    const body = Buffer.from(registerBody(THREE_MB));
    const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const writeErrors: string[] = [];
    socket.on('error', (error: NodeJS.ErrnoException) =>
      writeErrors.push(error.code ?? error.message),
    );
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    const write = (chunk: Buffer | string) =>
      new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
    await write(
      'POST /api/auth/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    for (let offset = 0; offset < body.length && !socket.destroyed; offset += 64 * 1024) {
      await write(body.subarray(offset, offset + 64 * 1024));
    }
    await closed;

    expect(writeErrors).toEqual([]);
    const [head, json] = received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head).toMatch(/\r\nconnection: close/i);
    expectTooLarge(413, JSON.parse(json));
  });
});
