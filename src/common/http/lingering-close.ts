import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';

/** At most this much of a refused body is read, and thrown away, before the connection closes. */
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;
/** ...and for at most this long (nginx's lingering_time is 30 s; a refused client deserves less). */
export const LINGER_MAX_MS = 5_000;

type HttpSocket = Socket & {
  /** node:http's parser while it owns the socket; `incoming` is the request it is reading. */
  parser?: { incoming?: IncomingMessage | null } | null;
};

const closeNow: (this: Socket) => void = (
  Socket.prototype as unknown as { destroySoon: (this: Socket) => void }
).destroySoon;

/**
 * node:http calls `destroySoon()` once an answer marked `Connection: close` is written. When the
 * request's body has not all arrived (a 413 decided from Content-Length, a refusal before the body was
 * read), closing then makes the kernel reset the connection while the client is still sending: the
 * client's write fails (EPIPE) and, if it had not read the answer yet, the reset throws the answer away
 * too. Like nginx's lingering close, this half-closes (the answer is complete), keeps reading and
 * discarding the rest of the body, bounded in bytes and time, and only then closes.
 */
function destroySoonAfterTheBody(this: HttpSocket): void {
  const incoming = this.parser?.incoming;
  if (!incoming || incoming.complete || this.destroyed) {
    closeNow.call(this);
    return;
  }
  this.end();
  let discarded = 0;
  const close = () => {
    clearTimeout(timer);
    this.destroy();
  };
  const timer = setTimeout(close, LINGER_MAX_MS);
  incoming.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) close();
  });
  incoming.once('end', close);
  incoming.resume();
  this.once('close', () => clearTimeout(timer));
}

/** Installs the lingering close on every connection of `server` (one property set per connection). */
export function lingerBeforeClosing(server: Server): void {
  server.on('connection', (socket: Socket) => {
    (socket as unknown as { destroySoon: () => void }).destroySoon = destroySoonAfterTheBody;
  });
}
