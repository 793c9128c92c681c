/** This machine, as the socket and X-Forwarded-For name it. 127.0.0.2 and the like are not listed on purpose. */
const LOCAL_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Whether a caller is on this machine for HEALTH_DETAILS=local: the socket's peer is loopback AND every
 * address in X-Forwarded-For is too. The address TRUST_PROXY yields is not enough: with a hop count the
 * service believes the last entry whoever connected, so a remote client sending
 * `X-Forwarded-For: 127.0.0.1` straight to the port, or a proxy forwarding a remote client behind a
 * forged first entry, would pass as local.
 */
export function isLocalCaller(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
): boolean {
  if (socketAddress === undefined || !LOCAL_ADDRESSES.has(socketAddress)) return false;
  const entries = [forwardedFor ?? []]
    .flat()
    .flatMap((header) => header.split(','))
    .map((entry) => entry.trim());
  return entries.every((entry) => LOCAL_ADDRESSES.has(entry));
}
