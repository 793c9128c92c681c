import type { AddressInfo } from 'node:net';
import { swaggerEnabled, type EnvironmentVariables } from './config/env.validation';

/** The one line that says where the service really listens (HOST, the bound port) and what it serves. */
export function bootLine(
  env: EnvironmentVariables,
  address: AddressInfo | string | null,
  database: { findAndModifyTurns: boolean; processes?: number } = { findAndModifyTurns: false },
): string {
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const wildcard = env.HOST === '0.0.0.0' || env.HOST === '::';
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  const where = wildcard
    ? `Listening on http://${host}:${port} (all interfaces; e.g. http://localhost:${port})`
    : `Listening on http://${host}:${port}`;
  const docs = swaggerEnabled(env)
    ? 'Swagger UI /api-docs, OpenAPI /api-doc'
    : 'Swagger UI off (SWAGGER_ENABLED)';
  const guard = database.findAndModifyTurns ? `; ${standInGuard(database.processes ?? 1)}` : '';
  return `${where}: API /api, health /health, ${docs}${guard}`;
}

/**
 * The stand-in's findAndModify may answer with another call's document, so the service makes its calls
 * take turns per document; that holds within one process only, which the line says.
 */
function standInGuard(processes: number): string {
  const scope =
    processes > 1
      ? `within each of the ${processes} workers only, NOT across them (places in line may repeat)`
      : 'in this process (another process on the same stand-in is not covered)';
  return `jongodb stand-in: findAndModify calls take turns per document ${scope}`;
}
