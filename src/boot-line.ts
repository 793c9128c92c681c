import type { AddressInfo } from 'node:net';
import { swaggerEnabled, type EnvironmentVariables } from './config/env.validation';

/** The one line that says where the service really listens (HOST, the bound port) and what it serves. */
export function bootLine(env: EnvironmentVariables, address: AddressInfo | string | null): string {
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const wildcard = env.HOST === '0.0.0.0' || env.HOST === '::';
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  const where = wildcard
    ? `Listening on http://${host}:${port} (all interfaces; e.g. http://localhost:${port})`
    : `Listening on http://${host}:${port}`;
  const docs = swaggerEnabled(env)
    ? 'Swagger UI /api-docs, OpenAPI /api-doc'
    : 'Swagger UI off (SWAGGER_ENABLED)';
  return `${where}: API /api, health /health, ${docs}`;
}
