import { Logger, type INestApplication } from '@nestjs/common';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C, SIGTERM (a supervisor, npm, the Nest CLI) or a closed terminal: close the app (the HTTP
 * server, then jobs, then the database) and exit 0. A requested stop is a success, and npm and the Nest
 * CLI pass the exit code on; Nest's own shutdown hooks re-raise the signal once closed, which reads as
 * a failure (130, 143). A second signal while closing is ignored: Ctrl-C reaches this process from the
 * terminal and again, forwarded, from npm or the Nest CLI.
 */
export function stopOnSignals(app: INestApplication): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    new Logger('Shutdown').log(`${signal}: stopping`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        new Logger('Shutdown').error(error instanceof Error ? error.stack : String(error));
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
}
