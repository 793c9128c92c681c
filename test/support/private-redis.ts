import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, isRunning, portOpen, waitUntil } from './processes';

/** Whether Debian's redis-server is installed (.ci/run installs it when it must start one). */
export const redisServerInstalled = spawnSync('redis-server', ['--version']).status === 0;

/**
 * A redis-server of its own, on a free port: the test run's (test-redis.ts), or a test's that needs
 * Redis to die. No persistence: a restart comes back empty, as after a crash without AOF.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts it (again) on the same port and waits until it accepts connections. */
  async restart(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitUntil(() => portOpen(this.port), 10_000, `redis-server on port ${this.port}`);
  }

  /** SIGKILL, as a crash: clients see their connections drop. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM: a clean stop (nothing to save). */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !isRunning(pid)) return;
    process.kill(pid, signal);
    await waitUntil(
      async () => !isRunning(pid) && !(await portOpen(this.port)),
      10_000,
      'redis-server gone',
    );
  }
}
