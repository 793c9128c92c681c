import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../src/database/embedded-database';

/**
 * The ladder when mongod cannot be downloaded: a local server stands in for the download site and
 * drops every connection, so the test controls (and counts) the download attempts.
 */
describe('the embedded-database ladder without a mongod download (e2e)', () => {
  let dir: string;
  let site: Server;
  let downloads = 0;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ladder-'));
    // mongodb-memory-server downloads over https only: this site hangs up before any TLS handshake.
    site = createServer((socket) => {
      downloads += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const { port } = site.address() as AddressInfo;
    process.env.MONGOMS_DOWNLOAD_URL = `https://127.0.0.1:${port}/mongodb-linux-x86_64-debian12-7.0.24.tgz`;
    process.env.MONGOMS_DOWNLOAD_DIR = join(dir, 'binaries'); // no binary from an earlier download
    delete process.env.MONGOMS_SYSTEM_BINARY;
  });
  afterAll(() => {
    process.env = saved;
    site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(failureFile: string) {
    const lines: string[] = [];
    const consoleCalls = jest.fn();
    const spies = (['log', 'warn', 'error'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation(consoleCalls),
    );
    try {
      const database = await startEmbeddedDatabase({
        downloadFailureFile: failureFile,
        log: (l) => lines.push(l),
      });
      await database.stop();
      return { engine: database.engine, lines, consoleCalls };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  it('reports a failed download in one complete line, remembers it, and skips it next time', async () => {
    const failureFile = join(dir, 'cache', 'mongod-download-failure.json');
    const first = await start(failureFile);
    expect(first.engine).toBe('jongodb');
    expect(downloads).toBeGreaterThan(0);
    // mongodb-memory-server's own retries and stack traces never reach the console.
    expect(first.consoleCalls).not.toHaveBeenCalled();
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]).toMatch(
      /^No mongod: its download failed 0 min ago \(Download failed for url "https:.+mongodb-linux-.+".+\); using the jongodb stand-in\. Next download attempt after \S+, or now if you delete \S+\.$/,
    );
    expect(existsSync(failureFile)).toBe(true);

    const attempts = downloads;
    const second = await start(failureFile);
    expect(second.engine).toBe('jongodb');
    expect(downloads).toBe(attempts); // not tried again
    expect(second.lines).toEqual([
      expect.stringMatching(/^No mongod: its download failed 0 min ago/),
    ]);
  }, 60_000);
});
