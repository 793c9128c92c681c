import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.validation';
import { RedisConnections } from '../redis/redis-connections';
import { AdmissionGate } from './admission-gate';
import { LocalPlaceCounter } from './local-place-counter';
import { RedisPlaceCounter } from './redis-place-counter';
import { SharedPlaceCounter } from './shared-place-counter';

/** The admission gate in front of the purchase path (one per instance; shared counts with REDIS_URL). */
@Module({
  providers: [
    {
      provide: AdmissionGate,
      inject: [ConfigService, RedisConnections],
      useFactory: (config: ConfigService<EnvironmentVariables, true>, redis: RedisConnections) => {
        // A stuck attempt's place comes back when its pending record would be judged abandoned.
        const holdTimeoutMs = config.get('PURCHASE_PENDING_TIMEOUT_MS', { infer: true });
        const local = new LocalPlaceCounter();
        const connection = redis.open('admission');
        const counter = connection
          ? new SharedPlaceCounter(new RedisPlaceCounter(connection, holdTimeoutMs), local)
          : local;
        return new AdmissionGate(counter, {
          enabled: config.get('ADMISSION_GATE', { infer: true }),
          margin: config.get('ADMISSION_MARGIN', { infer: true }),
          maxInFlight: config.get('ADMISSION_MAX_IN_FLIGHT', { infer: true }),
          queueCap: config.get('ADMISSION_QUEUE_CAP', { infer: true }),
          maxWaitMs: config.get('ADMISSION_MAX_WAIT_MS', { infer: true }),
          holdTimeoutMs,
        });
      },
    },
  ],
  exports: [AdmissionGate],
})
export class AdmissionModule {}
