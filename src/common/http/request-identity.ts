import type { FastifyInstance, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address as budgets count it (see budgetAddress); set by the onRequest hook below. */
    budgetAddress?: string;
  }
}

const OBJECT_ID_SHAPE = /^[0-9a-fA-F]{24}$/;

/**
 * The address per-address budgets count by. An IPv4 address stands alone; an IPv6 address counts by
 * its first `ipv6Prefix` bits, because one subscriber usually holds a whole /64 (2^64 addresses) and
 * could otherwise take a fresh budget per request. An IPv4-mapped IPv6 address is its IPv4 address.
 */
export function budgetAddress(ip: string, ipv6Prefix: number): string {
  if (!ip.includes(':') || !ipaddr.IPv6.isValid(ip)) return ip;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  if (ipv6Prefix >= 128) return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6Prefix}`);
  return `${network.toString()}/${ipv6Prefix}`;
}

/** What budgets key a request by; the socket's address when the hook did not run (a bare Fastify). */
export const budgetAddressOf = (request: Pick<FastifyRequest, 'ip' | 'budgetAddress'>): string =>
  request.budgetAddress ?? request.ip;

/**
 * Route ids are hex and case-blind (MongoDB reads `AB..` and `ab..` as one id), so every key built
 * from one (throttle buckets, the purchase fast lane, caches, stream feeds) must see one spelling:
 * otherwise each of a sale id's 2^letters spellings is another purchase budget. Lower-cased here,
 * before any hook, guard or pipe reads them.
 */
export function canonicalizeRouteIds(params: unknown): void {
  if (typeof params !== 'object' || params === null) return;
  const record = params as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (typeof value === 'string' && OBJECT_ID_SHAPE.test(value))
      record[name] = value.toLowerCase();
  }
}

/**
 * One onRequest hook, registered before Nest's routes, that runs ahead of every other reader of the
 * request: ids canonical, the budget address computed once.
 */
export function registerRequestIdentity(fastify: FastifyInstance, ipv6Prefix: number): void {
  fastify.decorateRequest('budgetAddress', undefined);
  fastify.addHook('onRequest', (request, _reply, done) => {
    canonicalizeRouteIds(request.params);
    request.budgetAddress = budgetAddress(request.ip, ipv6Prefix);
    done();
  });
}
