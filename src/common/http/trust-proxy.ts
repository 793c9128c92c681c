import { isIP } from 'node:net';

/** What Fastify's `trustProxy` option takes natively: all, none, a hop count, or addresses/CIDRs. */
export type TrustProxy = boolean | number | string[];

/** proxy-addr's names for the private ranges (127.0.0.0/8 and ::1; 169.254/16, fe80::/10; 10/8, 172.16/12, 192.168/16, fc00::/7). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export const TRUST_PROXY_HINT =
  'TRUST_PROXY must be false, true, a hop count (e.g. 1) or comma-separated addresses/CIDRs ' +
  '(e.g. 10.0.0.0/8,127.0.0.1; loopback, linklocal and uniquelocal name the private ranges)';

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY as Fastify's `trustProxy`, or undefined when the value is none of the four forms.
 * `false`: the socket's address is the client (X-Forwarded-For ignored). `true`: believe the whole
 * X-Forwarded-For chain (only when nothing but the proxy can reach the service). A number: that many
 * proxies in front. A list: only these addresses may speak for a client.
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const text = value.trim();
  if (text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text) === 0 ? false : Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrRange) ? entries : undefined;
}
