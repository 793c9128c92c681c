import { FastifyAdapter } from '@nestjs/platform-fastify';
import type {
  FastifyHttpOptions,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify';
import type { Server } from 'node:http';
import type { EnvironmentVariables } from '../../config/env.validation';
import { ErrorCode } from '../errors/error-codes';
import { EdgeThrottle } from './edge-throttle';
import { registerJsonBodyParser } from './json-body-parser';
import { lingerBeforeClosing } from './lingering-close';
import { answerClientError, answerFrameworkError } from './low-level-errors';
import { RouteTable } from './route-table';
import { ShutdownGate } from './shutdown-gate';
import { parseTrustProxy } from './trust-proxy';
import { API_SECURITY_HEADERS, DOCS_SECURITY_HEADERS } from './security-headers';

export type HttpSettings = Pick<
  EnvironmentVariables,
  | 'BODY_LIMIT_BYTES'
  | 'JSON_MAX_DEPTH'
  | 'REQUEST_TIMEOUT_MS'
  | 'HEADERS_TIMEOUT_MS'
  | 'SOCKET_IDLE_TIMEOUT_MS'
  | 'KEEP_ALIVE_TIMEOUT_MS'
  | 'MAX_REQUESTS_PER_SOCKET'
  | 'MAX_CONNECTIONS'
  | 'THROTTLE_TTL'
  | 'THROTTLE_LIMIT'
  | 'TRUST_PROXY'
>;

/** fastify's default; a path parameter longer than this is 414 URI_TOO_LONG (ids are 24 characters). */
const MAX_PARAM_LENGTH = 100;

const isDocsRoute = (url: string) => url.startsWith('/api-doc');
const isSwaggerUi = (url: string) => url.startsWith('/api-docs');

function serverOptions(settings: HttpSettings): FastifyHttpOptions<Server> {
  return {
    // Validated at boot; Fastify (proxy-addr) then derives request.ip, .protocol and .host from it.
    trustProxy: parseTrustProxy(settings.TRUST_PROXY) ?? false,
    bodyLimit: settings.BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The whole request (headers and body) must arrive within this; node checks it on an interval.
    requestTimeout: settings.REQUEST_TIMEOUT_MS,
    connectionTimeout: settings.SOCKET_IDLE_TIMEOUT_MS,
    keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    maxRequestsPerSocket: settings.MAX_REQUESTS_PER_SOCKET,
    http: {
      headersTimeout: settings.HEADERS_TIMEOUT_MS,
      // node's default checks every 30 s, so a 10 s timeout could take 40 s to bite.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, settings.HEADERS_TIMEOUT_MS / 4)),
    },
    // ShutdownGate answers instead, in the API's error shape.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError(MAX_PARAM_LENGTH),
  };
}

/**
 * Nest's Fastify adapter with the HTTP edge a hostile client meets: timeouts and a connection cap,
 * JSON-only bodies with a depth limit, the API's error shape for what fails before Nest (bad HTTP,
 * timeouts, bad URLs, long parameters), 405 with `Allow`, budgets for routes no guard sees, and
 * security headers. Per matched request this adds one onRequest hook that copies a precomputed header
 * map; everything else runs only when a request fails or hits the docs.
 */
export class HardenedFastifyAdapter extends FastifyAdapter {
  private readonly routes = new RouteTable();
  private readonly edge: EdgeThrottle;
  private readonly shutdownGate: ShutdownGate;

  constructor(private readonly settings: HttpSettings) {
    super(serverOptions(settings));
    this.edge = new EdgeThrottle(settings.THROTTLE_TTL * 1000, settings.THROTTLE_LIMIT);
    const instance = this.getInstance();
    instance.server.maxConnections = settings.MAX_CONNECTIONS;
    lingerBeforeClosing(instance.server);
    instance.addHook('onRoute', (route) => this.onRoute(route));
    this.shutdownGate = new ShutdownGate(instance);
    instance.addHook('onRequest', (request, reply, done) => {
      const docs = (request.routeOptions.config as { swaggerUi?: boolean }).swaggerUi;
      void reply.headers(docs ? DOCS_SECURITY_HEADERS : API_SECURITY_HEADERS);
      // Answered (503 SHUTTING_DOWN): the route must not run, so done is not called.
      if (!this.shutdownGate.refused(reply)) done();
    });
    instance.addHook('onClose', (_instance, done) => {
      this.edge.close();
      done();
    });
  }

  /** Nest registers a JSON and a form parser here; the API takes JSON objects only. */
  override registerParserMiddleware(prefix?: string, rawBody?: boolean): void {
    super.registerParserMiddleware(prefix, rawBody);
    registerJsonBodyParser(this.getInstance(), {
      bodyLimit: this.settings.BODY_LIMIT_BYTES,
      maxDepth: this.settings.JSON_MAX_DEPTH,
    });
  }

  override setNotFoundHandler(handler: (request: FastifyRequest, reply: FastifyReply) => unknown) {
    return super.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
      if (!(await this.edge.admit('no-route', request, reply))) return reply;
      const allowed = this.routes.allowedMethods(request.url.split('?', 1)[0]);
      if (allowed.length > 0) {
        return reply
          .code(405)
          .header('allow', allowed.join(', '))
          .send({
            statusCode: 405,
            code: ErrorCode.METHOD_NOT_ALLOWED,
            message: `${request.method} is not allowed here; use ${allowed.join(', ')}`,
          });
      }
      handler(request, reply);
      return reply;
    });
  }

  private onRoute(route: RouteOptions): void {
    this.routes.add(route);
    if (!isDocsRoute(route.url)) return;
    // Over budget, admit() has sent the 429 and the hook does not call done: the route never runs.
    const throttle: onRequestHookHandler = (request, reply, done) => {
      void this.edge.admit('docs', request, reply).then((admitted) => admitted && done());
    };
    route.onRequest = [route.onRequest ?? []].flat().concat(throttle);
    if (isSwaggerUi(route.url)) route.config = { ...route.config, swaggerUi: true };
  }
}
