import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's boot chatter without the lines that mislead or bury the useful ones: one line per module
 * (InstanceLoader) and per controller (RoutesResolver, which prints `{/api/health}` although /health is
 * excluded from the prefix). The routes themselves are still listed (RouterExplorer), with true paths.
 */
const SILENCED_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver']);

export class BootLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && SILENCED_CONTEXTS.has(context)) return;
    super.log(message, ...(rest as [string]));
  }
}
