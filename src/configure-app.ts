import { RequestMethod, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { badRequest } from './common/errors/api-error';
import { ErrorCode } from './common/errors/error-codes';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';

function flattenValidationErrors(errors: ValidationError[], parent = ''): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) fields[path] = Object.values(error.constraints);
    Object.assign(fields, flattenValidationErrors(error.children ?? [], path));
  }
  return fields;
}

export function buildOpenApiDocument(app: NestFastifyApplication) {
  const config = new DocumentBuilder()
    .setTitle('Flash-sale API')
    .setDescription(
      'Sells exactly the stock, at most once per buyer, in first-come order. Every error is ' +
        '`{statusCode, code, message, details?}`; switch on `code`.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Everything main.ts and the e2e tests share: prefix, validation, errors, docs, shutdown hooks. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
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

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api-docs', app, document);
  app
    .getHttpAdapter()
    .getInstance()
    .get('/api-doc', (_request, reply) => {
      void reply
        .header('Content-Disposition', 'attachment; filename="flash-sale-openapi.json"')
        .type('application/json')
        .send(JSON.stringify(document, null, 2));
    });

  app.enableShutdownHooks();
  return app;
}
