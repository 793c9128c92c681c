import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { corsOrigins } from '../common/http/cors';
import { OBJECT_ID_PATTERN } from '../common/pipes/parse-object-id.pipe';
import type { EnvironmentVariables } from '../config/env.validation';
import { describePathIds } from './path-ids';
import { trustedServerUrl } from './server-url';

const DOWNLOAD_NAME = 'flash-sale-openapi.json';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Flash-sale API')
    .setDescription(
      'Sells exactly the stock, at most once per buyer, in first-come order. Every error is ' +
        '`{statusCode, code, message, details?}`; switch on `code`.',
    )
    .setVersion('1.0')
    // package.json says UNLICENSED: proprietary, no rights granted (npm defines the term at this URL).
    .setLicense('UNLICENSED', 'https://docs.npmjs.com/cli/v10/configuring-npm/package-json#license')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Every route needs the token unless @Public() says `security: []` on it.
    .addSecurityRequirements('bearer')
    .build();
  return describePathIds(SwaggerModule.createDocument(app, config), OBJECT_ID_PATTERN);
}

/**
 * The base URL a client should call: PUBLIC_URL when the service sits behind a proxy or another host
 * name, else the origin the document was fetched from when it is trusted (trustedServerUrl). An empty `servers` makes Postman-style importers
 * use `/` as the base URL, which calls nothing.
 */
export function withServer(document: OpenAPIObject, url: string): OpenAPIObject {
  return { ...document, servers: [{ url: url.replace(/\/+$/, '') }] };
}

/** Swagger UI at /api-docs (JSON at /api-docs-json) and the same document as a download at /api-doc. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  const publicUrl = config.get('PUBLIC_URL', { infer: true });
  const cors = corsOrigins(
    config.get('CORS_ORIGINS', { infer: true }),
    config.get('NODE_ENV', { infer: true }),
  );
  const allowedOrigins = Array.isArray(cors) ? cors : [];
  const serverFor = (request: FastifyRequest) =>
    withServer(document, publicUrl ?? trustedServerUrl(request, allowedOrigins));
  SwaggerModule.setup('api-docs', app, document, {
    patchDocumentOnRequest: (request) => serverFor(request as FastifyRequest),
  });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/api-doc', (request, reply) => {
      void reply
        .header('Content-Disposition', `attachment; filename="${DOWNLOAD_NAME}"`)
        .type('application/json')
        .send(JSON.stringify(serverFor(request), null, 2));
    });
}
