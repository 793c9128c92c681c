import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppModule } from '../app.module';
import { setApiPrefix } from '../configure-app';
import { createAdapter } from '../main-adapter';
import { buildOpenApiDocument, withServer } from './openapi';

/**
 * Writes the OpenAPI document to a file without a database: Nest's preview mode scans the controllers
 * and their decorators but instantiates no provider, so nothing connects anywhere. `npm run lint:openapi`
 * lints the file it writes.
 *   node dist/docs/export-openapi.js [file]   (default .data/openapi.json)
 */
async function main(): Promise<void> {
  const file = process.argv[2] ?? '.data/openapi.json';
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ NODE_ENV: 'development' }),
    createAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  setApiPrefix(app);
  const document = buildOpenApiDocument(app);
  const server = process.env.PUBLIC_URL || `http://localhost:${process.env.PORT || 5000}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(withServer(document, server), null, 2)}\n`);
  await app.close();
  console.log(`OpenAPI document written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
