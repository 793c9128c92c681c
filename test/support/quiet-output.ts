import { Logger, type LoggerService } from '@nestjs/common';

/** For the apps the specs start: Nest's testing module would print their errors. */
export const SILENT_LOGGER: LoggerService = {
  log: () => undefined,
  error: () => undefined,
  warn: () => undefined,
};

/**
 * Loaded by jest in every worker of both projects, before the specs. The output of a run is jest's
 * report and nothing else; TEST_APP_LOGS=1 brings the services' logs back for a run being debugged.
 */
if (!process.env.TEST_APP_LOGS) {
  // The apps a spec starts in its worker log through Nest's static logger: the errors the specs provoke
  // on purpose (Redis killed, clients hanging up) would print between the reports. Specs that check a
  // log line spy on Logger.prototype, which is still called.
  Logger.overrideLogger(false);

  // cron (under @nestjs/schedule) warns on the console for every tick a busy event loop made a few
  // milliseconds late, then runs it anyway: on a shared test machine, dozens of identical lines.
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[Cron] Missed execution deadline'))
      return;
    warn(...args);
  };
}
