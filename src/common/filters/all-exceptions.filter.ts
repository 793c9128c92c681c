import { ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../errors/api-error';
import { toErrorBody } from './error-mapping';

const logger = new Logger('Errors');

/** Renders an error as `{statusCode, code, message, details?}`; unknown ones are logged, never leaked. */
export function answerError(reply: FastifyReply, error: unknown): FastifyReply {
  const { body, known } = toErrorBody(error);
  if (!known) logger.error(error instanceof Error ? (error.stack ?? error.message) : error);
  if (error instanceof ApiError && error.retryAfterSeconds !== undefined) {
    void reply.header('retry-after', String(error.retryAfterSeconds));
  }
  return reply.status(body.statusCode).send(body);
}

/** Every error a route lets out, answered by answerError (the purchase fast lane answers through it too). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    void answerError(host.switchToHttp().getResponse<FastifyReply>(), error);
  }
}
