import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectConnection } from '@nestjs/mongoose';
import { mongo, type ClientSession, type Connection } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import type { DatabaseInfo } from './database-info';
import { DATABASE_INFO } from './database-info.provider';

/**
 * The transaction kept losing write conflicts until the retry budget ran out. `aborted`: nothing was
 * committed. `unknown`: the last commit's outcome is unknown, so the caller must look.
 */
export class TransactionGaveUp extends Error {
  constructor(
    readonly outcome: 'aborted' | 'unknown',
    override readonly cause: unknown,
  ) {
    super(`transaction gave up (${outcome}): ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/**
 * Snapshot reads, majority commit, and reads pinned to the primary: a connection string asking for
 * secondary reads must not make every in-transaction read fail.
 */
const TRANSACTION_OPTIONS: mongo.TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

/**
 * Jittered exponential backoff before retry `attempt` (1-based), as the MongoDB drivers' transactions
 * specification now asks: a random fraction of 5 ms x 1.5^(attempt - 1), capped at 500 ms. Without it,
 * N buyers on one hot sale retry in lockstep and abort each other on the order of N^2 times.
 */
export function retryBackoffMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(5 * 1.5 ** (attempt - 1), 500);
}

const hasLabel = (error: unknown, label: string) =>
  error instanceof mongo.MongoError && error.hasErrorLabel(label);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs work in a transaction, retrying transient write conflicts with jittered backoff for at most
 * TRANSACTION_RETRY_TIMEOUT_MS (the driver's own `withTransaction` retries at once, for up to 120 s).
 * The same rules as the specification's convenient API otherwise: a transient error in the work or at
 * commit retries the whole transaction; a commit with an unknown result retries the commit.
 */
@Injectable()
export class TransactionRunner {
  private readonly timeoutMs: number;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(DATABASE_INFO) private readonly info: DatabaseInfo,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.timeoutMs = config.get('TRANSACTION_RETRY_TIMEOUT_MS', { infer: true });
  }

  get enabled(): boolean {
    return this.info.transactionsEnabled;
  }

  async run<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = await this.connection.startSession();
    try {
      return await this.runWithRetries(session, work, Date.now() + this.timeoutMs);
    } finally {
      await session.endSession();
    }
  }

  private async runWithRetries<T>(
    session: ClientSession,
    work: (session: ClientSession) => Promise<T>,
    deadline: number,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      session.startTransaction(TRANSACTION_OPTIONS);
      let result: T;
      try {
        result = await work(session);
      } catch (error) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (!hasLabel(error, 'TransientTransactionError')) throw error;
        await this.backOff(attempt, deadline, error);
        continue;
      }
      const conflict = await this.commit(session, deadline);
      if (conflict === null) return result;
      await this.backOff(attempt, deadline, conflict);
    }
  }

  /** Commits; returns null once committed, or the transient error that aborted the transaction. */
  private async commit(session: ClientSession, deadline: number): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await session.commitTransaction();
        return null;
      } catch (error) {
        if (hasLabel(error, 'UnknownTransactionCommitResult')) {
          await this.backOff(attempt, deadline, error, 'unknown');
          continue;
        }
        if (hasLabel(error, 'TransientTransactionError')) return error;
        throw error;
      }
    }
  }

  private async backOff(
    attempt: number,
    deadline: number,
    cause: unknown,
    outcome: TransactionGaveUp['outcome'] = 'aborted',
  ): Promise<void> {
    const wait = retryBackoffMs(attempt);
    if (Date.now() + wait >= deadline) throw new TransactionGaveUp(outcome, cause);
    await sleep(wait);
  }
}
