import type { FastifyReply } from 'fastify';

/**
 * Aborted when the client's connection closes before its answer was written. The response's `close`
 * fires once per request (answered or not), so nothing stays attached to a keep-alive socket.
 */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}
