import { RequestMethod, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { badRequest } from './common/errors/api-error';
import { ErrorCode } from './common/errors/error-codes';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { enableCors } from './common/http/cors';
import { setupOpenApi } from './docs/openapi';

function flattenValidationErrors(errors: ValidationError[], parent = ''): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) fields[path] = Object.values(error.constraints);
    Object.assign(fields, flattenValidationErrors(error.children ?? [], path));
  }
  return fields;
}

/** Every route under /api but the health check (load balancers probe a fixed path). */
export function setApiPrefix(app: NestFastifyApplication): void {
  app.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
}

/** Everything main.ts and the e2e tests share: prefix, validation, errors, docs, CORS, shutdown hooks. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  setApiPrefix(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        badRequest(
          ErrorCode.VALIDATION_FAILED,
          'The request is not valid',
          flattenValidationErrors(errors),
        ),
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());

  setupOpenApi(app);
  enableCors(app);

  app.enableShutdownHooks();
  return app;
}
