import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { ClientSession, Connection } from 'mongoose';
import type { DatabaseInfo } from './database-info';
import { DATABASE_INFO } from './database-info.provider';

/** Runs work in a transaction through the driver's callback API, which retries transient write conflicts. */
@Injectable()
export class TransactionRunner {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(DATABASE_INFO) private readonly info: DatabaseInfo,
  ) {}

  get enabled(): boolean {
    return this.info.transactionsEnabled;
  }

  async run<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = await this.connection.startSession();
    try {
      let result: T | undefined;
      await session.withTransaction(
        async () => {
          result = await work(session);
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } },
      );
      return result as T;
    } finally {
      await session.endSession();
    }
  }
}
