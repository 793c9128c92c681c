import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/guards/jwt-auth.guard';
import { RolesGuard } from './auth/guards/roles.guard';
import { ThrottlingModule, throttlerGuardProvider } from './common/throttling/throttling.module';
import { appConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LeaderboardModule } from './leaderboard/leaderboard.module';
import { RedisModule } from './redis/redis.module';
import { ProductsModule } from './products/products.module';
import { PurchasesModule } from './purchases/purchases.module';
import { SalesModule } from './sales/sales.module';
import { SaleStreamsModule } from './sales/stream/sale-streams.module';
import { UsersModule } from './users/users.module';

const featureModules = [
  ScheduleModule.forRoot(),
  DatabaseModule,
  JobsModule,
  RedisModule,
  ThrottlingModule,
  AuthModule,
  UsersModule,
  ProductsModule,
  SalesModule,
  PurchasesModule,
  LeaderboardModule,
  SaleStreamsModule,
  HealthModule,
];

@Module({})
export class AppModule {
  /**
   * `overrides` win over the process environment; e2e tests use them to boot apps with different
   * settings in one process. The service itself passes none.
   */
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [appConfigModule(overrides), ...featureModules],
      // Global guards run in this order: authenticate, authorize, then throttle (keyed by the user).
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        throttlerGuardProvider,
      ],
    };
  }
}
