import { mongo } from 'mongoose';
import { TransactionGaveUp } from '../../database/transaction-runner';
import { ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { ApiError, conflict } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';
import { toErrorBody } from './error-mapping';

describe('toErrorBody', () => {
  it('passes an ApiError through with its code and details', () => {
    const error = conflict(ErrorCode.SOLD_OUT, 'gone', { remainingQuantity: 0 });
    expect(toErrorBody(error)).toEqual({
      body: {
        statusCode: 409,
        code: 'SOLD_OUT',
        message: 'gone',
        details: { remainingQuantity: 0 },
      },
      known: true,
    });
  });

  it('maps the throttler to 429 TOO_MANY_REQUESTS', () => {
    expect(toErrorBody(new ThrottlerException()).body).toMatchObject({
      statusCode: 429,
      code: 'TOO_MANY_REQUESTS',
    });
  });

  it('gives plain Nest HTTP errors a code from their status', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /x')).body).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: 'Cannot GET /x',
    });
    expect(toErrorBody(new ForbiddenException()).body.code).toBe('FORBIDDEN');
  });

  it('recognises fastify body-parser errors that Nest re-wrapped without their code', () => {
    const wrapped = new HttpException(
      "Body is not valid JSON but content-type is set to 'application/json'",
      400,
    );
    expect(toErrorBody(wrapped).body.code).toBe('INVALID_JSON');
    expect(toErrorBody(new HttpException('Request body is too large', 413)).body.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('maps a MongoDB duplicate key to 409 and an unreachable database to a 503 not logged per request', () => {
    expect(toErrorBody(Object.assign(new Error('E11000'), { code: 11000 })).body).toMatchObject({
      statusCode: 409,
      code: 'CONFLICT',
    });
    const down = Object.assign(new Error('no server'), { name: 'MongoServerSelectionError' });
    expect(toErrorBody(down)).toMatchObject({
      body: { statusCode: 503, code: 'DATABASE_UNAVAILABLE' },
      known: true,
    });
  });

  it.each([
    ['a write conflict', 'TransientTransactionError'],
    ['a failover during a write', 'RetryableWriteError'],
    ['a commit whose reply was lost', 'UnknownTransactionCommitResult'],
  ])('answers %s with 503, never a 500', (_, label) => {
    const error = new mongo.MongoServerError({ message: 'WriteConflict', code: 112 });
    error.addErrorLabel(label);
    expect(toErrorBody(error).body).toMatchObject({
      statusCode: 503,
      code: 'DATABASE_UNAVAILABLE',
    });
  });

  it("answers mongoose's own no-connection errors with 503", () => {
    const early = Object.assign(
      new Error('Cannot call `users.findOne()` before initial connection is complete'),
      { name: 'MongooseError' },
    );
    expect(toErrorBody(early).body.statusCode).toBe(503);
    const other = Object.assign(new Error("Schema hasn't been registered"), {
      name: 'MongooseError',
    });
    expect(toErrorBody(other).body.statusCode).toBe(500);
  });

  it("answers node's own socket errors from the database connection with 503", () => {
    const ended = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
    });
    expect(toErrorBody(ended).body.statusCode).toBe(503);
    const clientGone = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toErrorBody(clientGone).body.statusCode).not.toBe(503);
  });

  it('answers a transaction that gave up under contention with 503', () => {
    const gaveUp = new TransactionGaveUp('aborted', new Error('write conflict'));
    expect(toErrorBody(gaveUp).body.statusCode).toBe(503);
    const writeConcern = Object.assign(new Error('wtimeout'), { name: 'MongoWriteConcernError' });
    expect(toErrorBody(writeConcern).body.statusCode).toBe(503);
  });

  it('hides anything unknown behind a generic 500 that asks to be logged', () => {
    const result = toErrorBody(new TypeError('secret internals at /srv/app.js:12'));
    expect(result).toEqual({
      body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
      known: false,
    });
    expect(toErrorBody(new ApiError(500, ErrorCode.INTERNAL_ERROR, 'x')).known).toBe(true);
  });
});
