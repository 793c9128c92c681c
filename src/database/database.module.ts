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
import type { EnvironmentVariables } from '../config/env.validation';
import { DATABASE_INFO, resolveDatabaseInfo } from './database-info.provider';
import { DATABASE_TARGET, resolveDatabaseTarget, type DatabaseTarget } from './database-target';
import { DatabaseSteps } from './database-steps';
import { TransactionRunner } from './transaction-runner';

const databaseTargetProvider: Provider = {
  provide: DATABASE_TARGET,
  inject: [ConfigService],
  useFactory: resolveDatabaseTarget,
};

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
      inject: [DATABASE_TARGET],
      useFactory: (target: DatabaseTarget) => ({
        uri: target.uri,
        ...(target.autoCreate === undefined ? {} : { autoCreate: target.autoCreate }),
        // Fail fast at boot instead of hanging when the URI points nowhere.
        serverSelectionTimeoutMS: 10_000,
        maxPoolSize: 50,
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
        const info = await resolveDatabaseInfo(
          connection,
          target.source,
          config.get('MONGO_TRANSACTIONS', { infer: true }),
        );
        new Logger('Database').log(`Database engine: ${info.engine}`);
        return info;
      },
    },
    DatabaseLifecycle,
    TransactionRunner,
    DatabaseSteps,
  ],
  exports: [DATABASE_INFO, TransactionRunner, DatabaseSteps],
})
export class DatabaseModule {}
