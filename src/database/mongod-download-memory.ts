import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Remembers that mongodb-memory-server could not get a mongod (no internet, no mirror), so that the next
 * boots go straight to the stand-in instead of paying the failed download again (7-15 s with retries).
 * Kept in a small JSON file in the git-ignored .data folder; deleting it forces a new attempt.
 */
export const DOWNLOAD_FAILURE_FILE = '.data/cache/mongod-download-failure.json';
/** Long enough for a day of edits and test runs, short enough to notice a network that came back. */
export const DOWNLOAD_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

export interface DownloadFailure {
  failedAt: string;
  reason: string;
}

/** The remembered failure while it is recent, else undefined (no file, unreadable, or expired). */
export function recentDownloadFailure(
  file = DOWNLOAD_FAILURE_FILE,
  now = Date.now(),
): DownloadFailure | undefined {
  try {
    const failure = JSON.parse(readFileSync(file, 'utf8')) as DownloadFailure;
    const age = now - Date.parse(failure.failedAt);
    return age >= 0 && age < DOWNLOAD_RETRY_AFTER_MS ? failure : undefined;
  } catch {
    return undefined;
  }
}

export function rememberDownloadFailure(
  reason: string,
  file = DOWNLOAD_FAILURE_FILE,
  now = Date.now(),
): DownloadFailure {
  const failure = { failedAt: new Date(now).toISOString(), reason };
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(failure, null, 2));
  } catch {
    // A read-only checkout only loses the shortcut; the ladder still works.
  }
  return failure;
}

export function forgetDownloadFailure(file = DOWNLOAD_FAILURE_FILE): void {
  rmSync(file, { force: true });
}

/** A whole error (message and details, any number of lines) as one line. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

/** One complete line for the boot log, saying what happened, what is used instead and how to retry. */
export function describeDownloadFailure(failure: DownloadFailure, file: string, now = Date.now()) {
  const retryAt = new Date(Date.parse(failure.failedAt) + DOWNLOAD_RETRY_AFTER_MS);
  const minutesAgo = Math.max(0, Math.round((now - Date.parse(failure.failedAt)) / 60_000));
  return (
    `No mongod: its download failed ${minutesAgo} min ago (${failure.reason}); using the jongodb ` +
    `stand-in. Next download attempt after ${retryAt.toISOString()}, or now if you delete ${file}.`
  );
}
