import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeDownloadFailure,
  DOWNLOAD_RETRY_AFTER_MS,
  oneLine,
  recentDownloadFailure,
  rememberDownloadFailure,
} from './mongod-download-memory';

describe('the memory of a failed mongod download', () => {
  let file: string;
  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'mongod-dl-')), 'cache', 'failure.json');
  });
  afterEach(() => rmSync(join(file, '..', '..'), { recursive: true, force: true }));

  it('is remembered for a while, then forgotten so the download is tried again', () => {
    const t0 = Date.parse('2026-11-27T00:00:00Z');
    expect(recentDownloadFailure(file, t0)).toBeUndefined();
    rememberDownloadFailure('getaddrinfo ENOTFOUND fastdl.mongodb.org', file, t0);
    expect(recentDownloadFailure(file, t0 + 60_000)).toEqual({
      failedAt: '2026-11-27T00:00:00.000Z',
      reason: 'getaddrinfo ENOTFOUND fastdl.mongodb.org',
    });
    expect(recentDownloadFailure(file, t0 + DOWNLOAD_RETRY_AFTER_MS)).toBeUndefined();
  });

  it('is reported in one complete line: what failed, what is used instead, how to retry', () => {
    const t0 = Date.parse('2026-11-27T00:00:00Z');
    const reason = oneLine(
      new Error('Download failed for url "x", Details:\ngetaddrinfo ENOTFOUND h'),
    );
    const failure = rememberDownloadFailure(reason, file, t0);
    const line = describeDownloadFailure(failure, file, t0 + 5 * 60_000);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      'No mongod: its download failed 5 min ago (Download failed for url "x", Details: getaddrinfo ' +
        'ENOTFOUND h); using the jongodb stand-in. Next download attempt after ' +
        `2026-11-27T06:00:00.000Z, or now if you delete ${file}.`,
    );
  });
});
