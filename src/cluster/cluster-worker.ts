import type { INestApplication } from '@nestjs/common';

/** What the primary sends a worker to stop it (see cluster-primary.ts). */
export const SHUTDOWN_MESSAGE = 'flash-sale:shutdown';

/**
 * In a worker: close the app gracefully when the primary asks. The primary asks by message, not by a
 * signal, because Ctrl-C at a terminal already sent SIGINT to the whole process group, and Nest answers
 * only the first signal: a second one mid-shutdown would kill the worker before it released the job
 * lease and finished its requests. A worker already stopping on a signal ignores the message.
 */
export function closeWhenPrimaryAsks(app: INestApplication): void {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (closing = true));
  process.on('message', (message) => {
    if (message !== SHUTDOWN_MESSAGE || closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
