import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Plain JS in scripts/, so that it runs the same whether this file runs from src/ (ts-node, jest),
 * dist/ (nest build) or dist/src/ (the dev loop's swc build): found by walking up to it.
 */
function findWatchdog(from = __dirname): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'watchdog.js');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`scripts/watchdog.js not found above ${from}`);
}

/**
 * Starts a tiny detached process that stops `childPid` as soon as this process is gone, even after a
 * `kill -9` that runs no exit handler. Detached: a signal sent to this process group spares it, so it is
 * still there to clean up after the owner.
 */
export function watchOverChild(childPid: number, ownerPid = process.pid): void {
  const watchdog = spawn(process.execPath, [findWatchdog(), String(ownerPid), String(childPid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
}
