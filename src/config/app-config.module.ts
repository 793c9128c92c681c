import type { DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateEnvironment } from './env.validation';

/**
 * The one ConfigModule of the service: every value comes from validateEnvironment, where an empty
 * variable (`SWAGGER_ENABLED=` as .env.example has it) is unset and so takes its default.
 * `skipProcessEnv`: ConfigService.get otherwise falls back to process.env for a key whose validated
 * value is undefined, and read the raw '' back: Swagger off, `servers: [{url: ""}]`, no engine in /health.
 * `overrides` win over the environment (e2e tests boot apps with different settings in one process).
 */
export function appConfigModule(overrides: Record<string, string> = {}): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    cache: true,
    skipProcessEnv: true,
    validate: (raw) => validateEnvironment({ ...raw, ...overrides }),
  });
}
