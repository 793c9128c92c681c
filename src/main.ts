import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import cluster from 'node:cluster';
import { AppModule } from './app.module';
import { BootLogger } from './boot-logger';
import { existsSync } from 'node:fs';
import {
  clusterWorkerCount,
  validateEnvironment,
  type EnvironmentVariables,
} from './config/env.validation';
import { bootLine } from './boot-line';
import { runClusterPrimary } from './cluster/cluster-primary';
import { closeWhenPrimaryAsks } from './cluster/cluster-worker';
import { configureApp } from './configure-app';
import { createAdapter } from './main-adapter';
import { stopOnSignals } from './stop-on-signals';

/**
 * Validates the environment (and .env, as ConfigModule will read it) before Nest starts, so that a bad
 * variable ends the process with one clear message naming it instead of a framework stack trace.
 */
function checkEnvironment(): EnvironmentVariables {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return validateEnvironment(process.env);
}

async function serve(env: EnvironmentVariables): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createAdapter(env),
    {
      bufferLogs: false,
      logger: new BootLogger(),
    },
  );
  configureApp(app);
  if (cluster.isWorker) app.enableShutdownHooks();
  else stopOnSignals(app);
  await app.listen(env.PORT, env.HOST);
  // In a cluster the primary prints the one boot line, once every worker listens.
  if (cluster.isWorker) closeWhenPrimaryAsks(app);
  else new Logger('Bootstrap').log(bootLine(env, app.getHttpServer().address()));
}

async function bootstrap(): Promise<void> {
  const env = checkEnvironment();
  const workers = clusterWorkerCount(env);
  if (cluster.isPrimary && workers > 1) await runClusterPrimary(env, workers);
  else await serve(env);
}

bootstrap().catch((error: unknown) => {
  // Config errors name the variable; print them plainly and exit non-zero.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
