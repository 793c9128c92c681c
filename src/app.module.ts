import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module';
import { ThrottlingModule, throttlerGuardProvider } from './common/throttling/throttling.module';
import { validateEnvironment } from './config/env.validation';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LeaderboardModule } from './leaderboard/leaderboard.module';
import { ProductsModule } from './products/products.module';
import { PurchasesModule } from './purchases/purchases.module';
import { SalesModule } from './sales/sales.module';
import { UsersModule } from './users/users.module';

const featureModules = [
  ScheduleModule.forRoot(),
    DatabaseModule,
    ThrottlingModule,
    AuthModule,
    UsersModule,
    ProductsModule,
    SalesModule,
    PurchasesModule,
    LeaderboardModule,
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
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          validate: (raw) => validateEnvironment({ ...raw, ...overrides }),
        }),
        ...featureModules,
      ],
      // After AuthModule's guards (JWT, roles), so throttling can key on the authenticated user.
      providers: [throttlerGuardProvider],
    };
  }
}
