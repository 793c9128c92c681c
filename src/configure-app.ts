import { RequestMethod, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { enableCors } from './common/http/cors';
import { registerRequestIdentity } from './common/http/request-identity';
import { validationFailure } from './common/validation/validation-details';
import { swaggerEnabled, type EnvironmentVariables } from './config/env.validation';
import { setupOpenApi } from './docs/openapi';

/** Every route under /api but the health check (load balancers probe a fixed path). */
export function setApiPrefix(app: NestFastifyApplication): void {
  app.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
}

/**
 * Everything main.ts and the e2e tests share: prefix, validation, errors, docs, CORS. How the process
 * stops on a signal is main.ts's business (stop-on-signals.ts; Nest's hooks in a cluster worker).
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  setApiPrefix(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationFailure,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());

  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  registerRequestIdentity(
    app.getHttpAdapter().getInstance(),
    config.get('THROTTLE_IPV6_PREFIX', { infer: true }),
  );
  const docs = {
    SWAGGER_ENABLED: config.get('SWAGGER_ENABLED', { infer: true }),
    NODE_ENV: config.get('NODE_ENV', { infer: true }),
  };
  if (swaggerEnabled(docs)) setupOpenApi(app);
  enableCors(app);
  return app;
}
