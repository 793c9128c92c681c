import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { EnvironmentVariables } from '../../config/env.validation';
import { RedisConnections } from '../../redis/redis-connections';
import { AppThrottlerGuard, throttleScopeOf } from './app-throttler.guard';
import { SharedThrottlerStorage } from './shared-throttler.storage';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, RedisConnections],
      useFactory: async (
        config: ConfigService<EnvironmentVariables, true>,
        redis: RedisConnections,
      ) => {
        const limits = {
          auth: config.get('THROTTLE_AUTH_LIMIT', { infer: true }),
          purchase: config.get('THROTTLE_PURCHASE_LIMIT', { infer: true }),
          health: config.get('THROTTLE_HEALTH_LIMIT', { infer: true }),
          general: config.get('THROTTLE_LIMIT', { infer: true }),
        };
        return {
          // With REDIS_URL every instance counts in one place; without it (or while Redis is down), in process.
          storage: await SharedThrottlerStorage.connect(redis.open('throttle')),
          throttlers: [
            {
              name: 'default',
              ttl: config.get('THROTTLE_TTL', { infer: true }) * 1000,
              limit: (context) => limits[throttleScopeOf(context) ?? 'general'],
            },
          ],
        };
      },
    }),
  ],
})
export class ThrottlingModule {}

/** Registered by AppModule after the auth guards, so that the tracker can be the authenticated user. */
export const throttlerGuardProvider = { provide: APP_GUARD, useClass: AppThrottlerGuard };
