import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { EnvironmentVariables } from '../../config/env.validation';
import { AppThrottlerGuard, throttleScopeOf } from './app-throttler.guard';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => {
        const limits = {
          auth: config.get('THROTTLE_AUTH_LIMIT', { infer: true }),
          purchase: config.get('THROTTLE_PURCHASE_LIMIT', { infer: true }),
          health: config.get('THROTTLE_HEALTH_LIMIT', { infer: true }),
          general: config.get('THROTTLE_LIMIT', { infer: true }),
        };
        return {
          storage: new FixedWindowThrottlerStorage(),
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
