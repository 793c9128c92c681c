import type { ConfigService } from '@nestjs/config';
import { mongo, type Connection } from 'mongoose';
import type { DatabaseInfo } from './database-info';
import { retryBackoffMs, TransactionGaveUp, TransactionRunner } from './transaction-runner';

/** A driver error carrying the labels the server or driver would attach. */
function labelled(label: string): mongo.MongoServerError {
  const error = new mongo.MongoServerError({ message: `fake ${label}`, code: 112 });
  error.addErrorLabel(label);
  return error;
}

/** A session that follows the driver's state machine closely enough to catch misuse. */
class FakeSession {
  started: mongo.TransactionOptions[] = [];
  commits = 0;
  aborts = 0;
  inTx = false;
  commitFailures: mongo.MongoError[] = [];
  startTransaction(options: mongo.TransactionOptions) {
    if (this.inTx) throw new Error('transaction already in progress');
    this.inTx = true;
    this.started.push(options);
  }
  inTransaction() {
    return this.inTx;
  }
  commitTransaction() {
    this.commits += 1;
    const failure = this.commitFailures.shift();
    if (failure) {
      // A transient commit error means the server aborted it; an unknown result leaves it open.
      if (failure.hasErrorLabel('TransientTransactionError')) this.inTx = false;
      return Promise.reject(failure);
    }
    this.inTx = false;
    return Promise.resolve();
  }
  abortTransaction() {
    this.aborts += 1;
    this.inTx = false;
    return Promise.resolve();
  }
  async endSession() {}
}

function runnerWith(session: FakeSession, timeoutMs = 10_000) {
  const connection = { startSession: () => Promise.resolve(session) } as unknown as Connection;
  const config = { get: () => timeoutMs } as unknown as ConfigService;
  const info = { transactionsEnabled: true } as DatabaseInfo;
  return new TransactionRunner(connection, info, config as never);
}

describe('TransactionRunner', () => {
  it('pins snapshot reads, majority commits and the primary for every attempt', async () => {
    const session = new FakeSession();
    await runnerWith(session).run(() => Promise.resolve('done'));
    expect(session.started).toEqual([
      {
        readConcern: { level: 'snapshot' },
        writeConcern: { w: 'majority' },
        readPreference: 'primary',
      },
    ]);
    expect(session.commits).toBe(1);
  });

  it('retries a transient write conflict in the work N times, aborting each, then commits', async () => {
    const session = new FakeSession();
    let calls = 0;
    const result = await runnerWith(session).run(() => {
      calls += 1;
      return calls <= 4
        ? Promise.reject(labelled('TransientTransactionError'))
        : Promise.resolve(7);
    });
    expect(result).toBe(7);
    expect(calls).toBe(5);
    expect(session.aborts).toBe(4);
    expect(session.commits).toBe(1);
  });

  it('retries the whole transaction when the commit itself hits a transient error', async () => {
    const session = new FakeSession();
    session.commitFailures.push(labelled('TransientTransactionError'));
    let calls = 0;
    await runnerWith(session).run(() => Promise.resolve((calls += 1)));
    expect(calls).toBe(2);
    expect(session.commits).toBe(2);
  });

  it('retries only the commit when its result is unknown', async () => {
    const session = new FakeSession();
    session.commitFailures.push(labelled('UnknownTransactionCommitResult'));
    let calls = 0;
    await runnerWith(session).run(() => Promise.resolve((calls += 1)));
    expect(calls).toBe(1);
    expect(session.commits).toBe(2);
  });

  it('gives up with nothing committed once the retry budget is spent', async () => {
    const session = new FakeSession();
    const started = Date.now();
    const error = await runnerWith(session, 150)
      .run(() => Promise.reject(labelled('TransientTransactionError')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionGaveUp);
    expect((error as TransactionGaveUp).outcome).toBe('aborted');
    expect(session.commits).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    // Backoff spaced the attempts: far fewer than an immediate-retry loop would make in 150 ms.
    expect(session.started.length).toBeGreaterThan(1);
    expect(session.started.length).toBeLessThan(100);
  });

  it('says the outcome is unknown when commits stay unknown past the budget', async () => {
    const session = new FakeSession();
    session.commitFailures = Array.from({ length: 1_000 }, () =>
      labelled('UnknownTransactionCommitResult'),
    );
    const error = await runnerWith(session, 100)
      .run(() => Promise.resolve(1))
      .catch((e: unknown) => e);
    expect((error as TransactionGaveUp).outcome).toBe('unknown');
  });

  it('passes any other error through after aborting, without retrying', async () => {
    const session = new FakeSession();
    const boom = new Error('not a driver error');
    await expect(runnerWith(session).run(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(session.started).toHaveLength(1);
    expect(session.aborts).toBe(1);
  });
});

describe('retryBackoffMs', () => {
  it('follows the specification: a random share of 5 ms x 1.5^(n-1), capped at 500 ms', () => {
    expect(retryBackoffMs(1, () => 1)).toBe(5);
    expect(retryBackoffMs(2, () => 1)).toBe(7.5);
    expect(retryBackoffMs(3, () => 0.5)).toBeCloseTo(5.625);
    expect(retryBackoffMs(30, () => 1)).toBe(500);
    expect(retryBackoffMs(5, () => 0)).toBe(0);
  });
});
