import { validateEnvironment, type EnvironmentVariables } from './config/env.validation';
import { HardenedFastifyAdapter } from './common/http/hardened-fastify-adapter';

/**
 * Fastify serves ~5x the requests of Express per core under NestJS on this kind of machine. The server
 * options (timeouts, limits) exist before Nest's ConfigModule, so they come from the validated
 * environment directly.
 */
export function createAdapter(
  env: EnvironmentVariables = validateEnvironment(process.env),
): HardenedFastifyAdapter {
  return new HardenedFastifyAdapter(env);
}
