import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import cluster, { type Address, type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { createJwtSecretKey } from '../auth/jwt-secret';
import { bootLine } from '../boot-line';
import type { EnvironmentVariables } from '../config/env.validation';
import { resolveDatabaseTarget } from '../database/database-target';
import { SHUTDOWN_MESSAGE } from './cluster-worker';
import { handOnConnectionsOfDeadWorker } from './connection-handoff';
import { RestartPolicy } from './restart-policy';
import { StreamQuotaHost } from './stream-quota-host';

/** Workers that have not closed this long after being asked to are killed, then the database stops. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * CLUSTER_WORKERS > 1: this process serves nothing itself. It starts the embedded database when no
 * MONGO_URI is given (so the workers share one), forks the workers (node:cluster shares the port among
 * them), replaces a worker that dies (see restart-policy.ts), and on SIGTERM/SIGINT stops the workers,
 * then the database. A worker left without its primary (kill -9) exits by itself: node:cluster ends a
 * worker whose channel to the primary closes.
 */
export async function runClusterPrimary(env: EnvironmentVariables, count: number): Promise<void> {
  const logger = new Logger('Cluster');
  const config = configFrom(env);
  let stopping = false;
  const database = await resolveDatabaseTarget(config, (description) => {
    // Ctrl-C reaches the database too (one process group): its exit is then expected.
    if (stopping) return;
    logger.error(
      `The embedded database stopped on its own (${description}): the service exits (code 1)`,
    );
    void stop(1);
  });
  // An embedded stand-in is shared by every worker, and each guards only its own calls.
  const standIn = { findAndModifyTurns: database.source === 'jongodb', processes: count };
  const supervisor = new WorkerSupervisor(count, env, logger, standIn, {
    MONGO_URI: database.uri,
    ...sharedJwtSecret(env, config),
  });
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await supervisor.stop();
    await database.stop().catch(() => undefined);
    process.exit(code);
  };
  supervisor.onGiveUp = (reason) => {
    logger.error(
      `${reason}: giving up, the service stops (exit code 1); the cause is logged above`,
    );
    void stop(1);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  new StreamQuotaHost({
    perAddress: env.SSE_MAX_CLIENTS_PER_ADDRESS,
    perUser: env.SSE_MAX_CLIENTS_PER_USER,
  }).serve();
  supervisor.start();
}

/** The database ladder and the JWT key read settings through ConfigService; the primary has no Nest app. */
function configFrom(env: EnvironmentVariables): ConfigService<EnvironmentVariables, true> {
  return {
    get: (key: keyof EnvironmentVariables) => env[key],
  } as unknown as ConfigService<EnvironmentVariables, true>;
}

/**
 * Every worker must sign and verify tokens with one key, or a token from one worker fails on the next.
 * Without JWT_SECRET each would pick its own: in development the primary makes sure the dev secret file
 * exists and hands it over; elsewhere (tests) it draws one random secret for the whole cluster.
 */
function sharedJwtSecret(
  env: EnvironmentVariables,
  config: ConfigService<EnvironmentVariables, true>,
): { JWT_SECRET?: string } {
  if (env.JWT_SECRET) return {};
  const key = createJwtSecretKey(config);
  if (env.NODE_ENV === 'development') return { JWT_SECRET: key.export().toString('utf8') };
  return { JWT_SECRET: key.export().toString('base64') };
}

class WorkerSupervisor {
  onGiveUp: (reason: string) => void = () => undefined;
  private readonly policy = new RestartPolicy();
  private readonly startedAt = new Map<number, number>();
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();
  private listening = 0;
  private stopping = false;

  constructor(
    private readonly count: number,
    private readonly env: EnvironmentVariables,
    private readonly logger: Logger,
    private readonly database: Parameters<typeof bootLine>[2],
    private readonly workerEnv: Record<string, string | undefined>,
  ) {}

  start(): void {
    cluster.on('listening', (worker, address) => this.onListening(worker, address));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (let i = 0; i < this.count; i += 1) this.fork();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.pendingRestarts.forEach(clearTimeout);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(workers.map((worker) => stopWorker(worker)));
  }

  private fork(): void {
    const worker = cluster.fork(this.workerEnv);
    handOnConnectionsOfDeadWorker(worker);
    this.startedAt.set(worker.id, Date.now());
  }

  private onListening(worker: Worker, address: Address): void {
    this.listening += 1;
    if (this.listening === this.count) {
      const line = bootLine(this.env, { port: address.port } as AddressInfo, this.database);
      this.logger.log(`${line}; ${this.count} workers (node:cluster, primary pid ${process.pid})`);
    } else if (this.listening > this.count) {
      this.logger.log(`Worker pid ${worker.process.pid} is listening (a replacement)`);
    }
  }

  private onExit(worker: Worker, code: number, signal: string | null): void {
    const uptime = Date.now() - (this.startedAt.get(worker.id) ?? Date.now());
    this.startedAt.delete(worker.id);
    if (this.stopping) return;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const decision = this.policy.onWorkerExit(uptime);
    if ('giveUp' in decision) {
      this.onGiveUp(`Worker pid ${worker.process.pid} died (${how}); ${decision.giveUp}`);
      return;
    }
    this.logger.warn(
      `Worker pid ${worker.process.pid} died (${how}) after ${Math.round(uptime / 1000)} s; ` +
        `starting a replacement${decision.restartInMs ? ` in ${decision.restartInMs} ms` : ''}`,
    );
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(timer);
      this.fork();
    }, decision.restartInMs);
    this.pendingRestarts.add(timer);
  }
}

function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // A worker whose channel is already gone gets the signal instead.
    if (!worker.isConnected()) worker.process.kill('SIGTERM');
    else worker.send(SHUTDOWN_MESSAGE, (error) => error && worker.process.kill('SIGTERM'));
  });
}
