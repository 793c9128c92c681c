import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** A client that stops reading gets this much buffered, then is dropped instead of growing memory. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long EventSource waits before reconnecting after the stream closes. */
const RECONNECT_MS = 3_000;

/**
 * One live stream on a raw response. Fastify is told to keep out (hijack), so the headers every route
 * gets (CORS, security headers, set on the reply by onRequest hooks) are copied onto the raw response.
 */
export class SseConnection {
  /** Still writable: not ended by us, not closed by the client. */
  private open = true;
  private released = false;

  private constructor(
    private readonly response: ServerResponse,
    readonly address: string,
    private readonly onClose: (connection: SseConnection) => void,
  ) {
    response.on('close', () => this.closed());
    // The client may have gone while the sale was read; 'close' has then fired already.
    if (response.destroyed || !response.socket || response.socket.destroyed) {
      queueMicrotask(() => this.closed());
    }
  }

  static start(
    reply: FastifyReply,
    address: string,
    onClose: (connection: SseConnection) => void,
  ): SseConnection {
    reply.hijack();
    const set = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined);
    reply.raw.writeHead(200, {
      ...(Object.fromEntries(set) as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx and similar proxies buffer responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    const connection = new SseConnection(reply.raw, address, onClose);
    connection.write(`retry: ${RECONNECT_MS}\n\n`);
    return connection;
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A comment line: ignored by EventSource, but traffic for every idle timer on the way. */
  ping(): void {
    this.write(': ping\n\n');
  }

  /** Ends a stream that is not over (its lifetime is): EventSource reconnects after `retryMs`. */
  endForReconnect(retryMs: number): void {
    this.write(`retry: ${retryMs}\n\n`);
    this.end();
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    this.response.end();
  }

  private write(chunk: string): void {
    if (!this.open) return;
    if (this.response.writableLength > MAX_BUFFERED_BYTES) {
      this.response.destroy();
      return;
    }
    this.response.write(chunk);
  }

  private closed(): void {
    this.open = false;
    if (this.released) return;
    this.released = true;
    this.onClose(this);
  }
}
