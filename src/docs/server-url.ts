import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const isLoopbackName = (hostname: string) =>
  LOOPBACK_NAMES.has(hostname) || (isIP(hostname) === 4 && hostname.startsWith('127.'));

/**
 * The OpenAPI `servers` URL when PUBLIC_URL is unset, without echoing an untrusted Host: the
 * document may sit in a shared cache, and Swagger UI sends the reader's token to that server. The
 * origin the request names (Host, or X-Forwarded-Host/-Proto when TRUST_PROXY trusts the sender) is
 * used only when it is one of `allowedOrigins` (CORS_ORIGINS) or this machine on the port the request
 * came in on; anything else gets this machine's own address (an absolute URL: importers such as
 * Postman need one).
 */
export function trustedServerUrl(
  request: Pick<FastifyRequest, 'protocol' | 'host' | 'hostname' | 'port' | 'socket'>,
  allowedOrigins: readonly string[],
): string {
  const own = `http://localhost:${request.socket.localPort}`;
  const protocol = request.protocol === 'https' ? 'https' : 'http';
  const hostname = request.hostname.toLowerCase();
  const named = `${protocol}://${hostname}${request.port === null ? '' : `:${request.port}`}`;
  if (allowedOrigins.includes(named)) return named;
  const port = request.port ?? (protocol === 'https' ? 443 : 80);
  return isLoopbackName(hostname) && port === request.socket.localPort ? named : own;
}
