import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte sent to the connection's end. */
  elapsedMs: number;
}

export type RawStep = string | Buffer | { pauseMs: number };

/**
 * Talks HTTP/1.1 over a bare socket, so a test can send what no client library would: a header of
 * 20 KB, garbage instead of a request line, a body one byte at a time. Resolves when the server closes
 * the connection (or `timeoutMs` passes, then status is 0).
 */
export function rawRequest(
  url: string,
  steps: RawStep[],
  timeoutMs = 10_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks).toString('latin1'), Date.now() - started));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', finish);
    socket.once('connect', () => {
      void (async () => {
        for (const step of steps) {
          if (done || socket.destroyed) return;
          if (typeof step === 'object' && 'pauseMs' in step) {
            await new Promise((resume) => setTimeout(resume, step.pauseMs));
          } else {
            socket.write(step);
          }
        }
      })();
    });
  });
}

function parse(text: string, elapsedMs: number): RawResponse {
  const match = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
  if (!match) return { status: 0, headers: {}, body: text, elapsedMs };
  const headers: Record<string, string> = {};
  for (const line of match[2].split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(match[1]), headers, body: match[3], elapsedMs };
}

/** The JSON body of a raw response, or undefined when it is not JSON. */
export function jsonBody(response: RawResponse): Record<string, unknown> | undefined {
  try {
    return JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
