import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EnvironmentVariables } from '../../config/env.validation';

/** `*` (any origin), a list of exact origins, or none at all. */
export type CorsOrigins = '*' | string[] | null;

/**
 * CORS_ORIGINS is a comma-separated list of origins (`https://shop.example.com,http://localhost:3000`)
 * or `*`. Unset, any origin may call in development and test (a frontend on its own dev port just
 * works) and none in production, where the allowed origins must be named.
 */
export function corsOrigins(value: string | undefined, nodeEnv: string): CorsOrigins {
  const origins = (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (origins.includes('*')) return '*';
  if (origins.length > 0) return origins;
  return nodeEnv === 'production' ? null : '*';
}

/**
 * Browsers send a preflight before any call with an Authorization header or a JSON body; @fastify/cors
 * answers it (204) before guards and throttling. No cookies are used, so credentials stay off and `*`
 * is safe. With no allowed origin the plugin is not registered: a cross-origin call is refused by the
 * browser as before.
 */
export function enableCors(app: NestFastifyApplication): void {
  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  const origins = corsOrigins(
    config.get('CORS_ORIGINS', { infer: true }),
    config.get('NODE_ENV', { infer: true }),
  );
  if (origins === null) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'Content-Disposition'],
    maxAge: 600,
  });
}
