import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT } from './processes';
import { ADMIN, testEnvironment } from './test-app';

const MAIN = join(ROOT, 'dist', 'main.js');

export interface ChildApp {
  url: string;
  process: ChildProcess;
  output: string[];
}

/** Starts the built service (dist/main.js) as its own process, as production would run it. */
export async function startChildApp(
  database: string,
  env: Record<string, string> = {},
): Promise<ChildApp> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...testEnvironment(database, env), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`child app exited early:\n${output.join('')}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, process: child, output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`child app did not become healthy:\n${output.join('')}`);
}

export function stopChildApp(app: ChildApp, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (app.process.exitCode !== null || app.process.signalCode !== null) {
      resolve(app.process.exitCode);
      return;
    }
    app.process.once('exit', (code) => resolve(code));
    app.process.kill(signal);
  });
}

/** A JSON POST to a child app, as a client would send it; the answer's status and body. */
export async function postJson(url: string, path: string, body: object, token?: string) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A product and a sale open since a second ago, made over HTTP as the admin, for a service in another process. */
export async function openSaleOver(url: string, totalQuantity = 5): Promise<string> {
  const { email, password } = ADMIN;
  const admin = (await postJson(url, '/api/auth/login', { email, password })).body
    .accessToken as string;
  const product = await postJson(url, '/api/products', { name: 'Cap', price: 5 }, admin);
  const startTime = new Date(Date.now() - 1_000).toISOString();
  const sale = await postJson(
    url,
    '/api/sales',
    { productId: product.body.id, startTime, totalQuantity },
    admin,
  );
  return sale.body.id as string;
}
