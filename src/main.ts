import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { BootLogger } from './boot-logger';
import { existsSync } from 'node:fs';
import { validateEnvironment, type EnvironmentVariables } from './config/env.validation';
import { configureApp } from './configure-app';
import { createAdapter } from './main-adapter';

/**
 * Validates the environment (and .env, as ConfigModule will read it) before Nest starts, so that a bad
 * variable ends the process with one clear message naming it instead of a framework stack trace.
 */
function checkEnvironment(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
  validateEnvironment(process.env);
}

async function bootstrap(): Promise<void> {
  checkEnvironment();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createAdapter(),
    {
      bufferLogs: false,
      logger: new BootLogger(),
    },
  );
  configureApp(app);
  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  const port = config.get('PORT', { infer: true });
  await app.listen(port, '0.0.0.0');
  new Logger('Bootstrap').log(
    `Listening on http://localhost:${port} (API /api, Swagger UI /api-docs, OpenAPI /api-doc, health /health)`,
  );
}

bootstrap().catch((error: unknown) => {
  // Config errors name the variable; print them plainly and exit non-zero.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
