import { RequestMethod, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { validationFailure } from './common/validation/validation-details';
import { swaggerEnabled, type EnvironmentVariables } from './config/env.validation';

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
      exceptionFactory: validationFailure,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());

  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  const docs = {
    SWAGGER_ENABLED: config.get('SWAGGER_ENABLED', { infer: true }),
    NODE_ENV: config.get('NODE_ENV', { infer: true }),
  };
  if (swaggerEnabled(docs)) serveApiDocs(app);

  app.enableShutdownHooks();
  return app;
}

/** Swagger UI at /api-docs and the OpenAPI JSON as a download at /api-doc (SWAGGER_ENABLED). */
function serveApiDocs(app: NestFastifyApplication): void {
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
}
