import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiErrorBody } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

/** Headers every answer written outside Nest carries (the security headers hook does not run there). */
const BARE_HEADERS =
  'Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n';

function clientErrorBody(code: string | undefined): ApiErrorBody {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      statusCode: 408,
      code: ErrorCode.REQUEST_TIMEOUT,
      message: 'The request did not arrive in time',
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      statusCode: 431,
      code: ErrorCode.HEADERS_TOO_LARGE,
      message: 'The request headers are too large',
    };
  }
  return {
    statusCode: 400,
    code: ErrorCode.MALFORMED_REQUEST,
    message: 'The request is not valid HTTP',
  };
}

/**
 * node:http's `clientError`: the request could not even be parsed (bad HTTP, headers over 16 KB) or did
 * not arrive within REQUEST_TIMEOUT_MS / HEADERS_TIMEOUT_MS. No route ran, so the answer is written on
 * the socket, in the API's shape, and the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const answer = clientErrorBody(error.code);
    const body = JSON.stringify(answer);
    const status = answer.statusCode;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${BARE_HEADERS}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  // end() flushes the answer; a client that never reads it must not keep the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * Fastify's router errors (before any route, so before Nest): a path that is not valid percent-encoding
 * (FST_ERR_BAD_URL) or a path parameter over `maxParamLength` characters (FST_ERR_MAX_PARAM_LENGTH).
 */
export function answerFrameworkError(
  maxParamLength: number,
): (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, _request, reply) => {
    const body: ApiErrorBody =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? {
            statusCode: 414,
            code: ErrorCode.URI_TOO_LONG,
            message: `A path segment is longer than ${maxParamLength} characters`,
          }
        : error.code === 'FST_ERR_BAD_URL'
          ? {
              statusCode: 400,
              code: ErrorCode.INVALID_URL,
              message: 'The path is not valid percent-encoding',
            }
          : {
              statusCode: 400,
              code: ErrorCode.MALFORMED_REQUEST,
              message: 'The request is not valid',
            };
    void reply.code(body.statusCode).header('x-content-type-options', 'nosniff').send(body);
  };
}

const HOST_REQUIRED: ApiErrorBody = {
  statusCode: 400,
  code: ErrorCode.HOST_REQUIRED,
  message: 'An HTTP/1.1 request must have a Host header',
};
const EXPECTATION_FAILED: ApiErrorBody = {
  statusCode: 417,
  code: ErrorCode.EXPECTATION_FAILED,
  message: 'Only `Expect: 100-continue` is understood',
};

/** RFC 9112 3.2: an HTTP/1.1 request without Host is refused with 400 (HTTP/1.0 may omit it). */
const lacksHost = (request: IncomingMessage) =>
  request.headers.host === undefined &&
  request.httpVersionMajor === 1 &&
  request.httpVersionMinor === 1;

function refuse(response: ServerResponse, answer: ApiErrorBody): void {
  const body = JSON.stringify(answer);
  response.shouldKeepAlive = false;
  response.writeHead(answer.statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

/**
 * Two refusals node:http writes itself, with an empty body, before any framework sees the request: a
 * missing Host (400) and an `Expect` other than 100-continue (417). The first is switched off in node
 * and checked in front of the framework's handler (one header lookup per request); the second has its
 * own event. Both then answer in the API's shape and close the connection, as node would.
 */
export function answerNodeRefusals(server: Server): void {
  // An option of createServer, kept as a property that node reads per request (not in @types/node).
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) =>
    refuse(response, EXPECTATION_FAILED),
  );
  const handlers = server.listeners('request') as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (lacksHost(request)) refuse(response, HOST_REQUIRED);
    else for (const handle of handlers) handle(request, response);
  });
}
