import {
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import cluster from 'node:cluster';
import type { EnvironmentVariables } from '../config/env.validation';
import { DATABASE_INFO, resolveDatabaseInfo } from './database-info.provider';
import { DATABASE_TARGET, resolveDatabaseTarget, type DatabaseTarget } from './database-target';
import { DatabaseSteps } from './database-steps';
import { AuditReads } from './audit-reads';
import { reportOutages } from './outage-reporter';
import { supportsCreateCommand } from './server-capabilities';
import { inspectServer, type DatabaseInfo } from './database-info';
import {
  ledgerRulesFor,
  ledgerWriteConcern,
  openCollectionsByLedgerRules,
} from './ledger-collections';
import { checkLedgerTopology } from './ledger-topology';
import { TransactionRunner } from './transaction-runner';

/**
 * Runs on the open connection before any model is compiled: what the server can do is asked, not
 * guessed from how it was started, so any MongoDB-wire server behind MONGO_URI works.
 */
async function adaptToServer(
  connection: Connection,
  writeConcernSetting: string,
): Promise<Connection> {
  // Without the `create` command, collections come into being on first insert or index build.
  if (!(await supportsCreateCommand(connection.db!))) {
    (connection.config as { autoCreate?: boolean }).autoCreate = false;
  }
  const server = await inspectServer(connection);
  openCollectionsByLedgerRules(connection.db!, ledgerRulesFor(writeConcernSetting, server));
  reportOutages(connection);
  return connection;
}

const databaseTargetProvider: Provider = {
  provide: DATABASE_TARGET,
  inject: [ConfigService],
  useFactory: resolveDatabaseTarget,
};

const ledgerWriteConcernOf = (
  config: ConfigService<EnvironmentVariables, true>,
  info: DatabaseInfo,
) => ledgerWriteConcern(config.get('LEDGER_WRITE_CONCERN', { infer: true }), info.topology)?.w;

@Global()
@Module({
  providers: [databaseTargetProvider],
  exports: [databaseTargetProvider],
})
class DatabaseTargetModule {}

class DatabaseLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(getConnectionToken()) private readonly connection: Connection,
    @Inject(DATABASE_TARGET) private readonly target: DatabaseTarget,
  ) {}

  /**
   * Serve nothing before every index exists: the unique (sale, user) index is what makes a double
   * click harmless, and mongoose otherwise builds indexes in the background.
   */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(Object.values(this.connection.models).map((model) => model.init()));
  }

  /** Closes the connection before stopping an embedded engine, so shutdown logs no spurious errors. */
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
    await this.target.stop();
  }
}

@Global()
@Module({
  imports: [
    DatabaseTargetModule,
    MongooseModule.forRootAsync({
      inject: [DATABASE_TARGET, ConfigService],
      useFactory: (target: DatabaseTarget, config: ConfigService<EnvironmentVariables, true>) => ({
        uri: target.uri,
        // An unreachable database is a 503 within ~2 s (and a boot that fails within 2 s), not a
        // request held for 10-30 s: no queueing of commands while disconnected, short server selection.
        serverSelectionTimeoutMS: 2_000,
        bufferCommands: false,
        maxPoolSize: 50,
        connectionFactory: (connection: Connection) =>
          adaptToServer(connection, config.get('LEDGER_WRITE_CONCERN', { infer: true })),
      }),
    }),
  ],
  providers: [
    {
      provide: DATABASE_INFO,
      inject: [getConnectionToken(), DATABASE_TARGET, ConfigService],
      useFactory: async (
        connection: Connection,
        target: DatabaseTarget,
        config: ConfigService<EnvironmentVariables, true>,
      ) => {
        const info = await resolveDatabaseInfo(connection, target, {
          mode: config.get('MONGO_TRANSACTIONS', { infer: true }),
          ledgerWriteConcern: config.get('LEDGER_WRITE_CONCERN', { infer: true }),
        });
        const logger = new Logger('Database');
        logger.log(`Database engine: ${info.engine}; ${info.durability}; ${info.ledger}`);
        const { refusal, warnings } = checkLedgerTopology({
          ...info,
          writeConcernW: ledgerWriteConcernOf(config, info),
          clusterWorker: cluster.isWorker,
        });
        if (refusal) throw new Error(refusal);
        warnings.forEach((warning) => logger.warn(warning));
        return info;
      },
    },
    DatabaseLifecycle,
    TransactionRunner,
    DatabaseSteps,
    AuditReads,
  ],
  exports: [DATABASE_INFO, TransactionRunner, DatabaseSteps, AuditReads],
})
export class DatabaseModule {}
