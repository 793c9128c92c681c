import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium package (.ci/run installs it when missing); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM_REASON = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium; .ci/run does it)`;

/** Git-ignored; each browser test leaves a screenshot per step for a person to look at. */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');

/** `it`, or `it.skip` with the reason in the title, where no Chromium is installed. */
export const itWithChromium = (title: string, fn: () => Promise<void>, timeout?: number) =>
  hasChromium
    ? it(title, fn, timeout)
    : it.skip(`${title} [skipped: ${NO_CHROMIUM_REASON}]`, fn, timeout);

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, nothing running in the background (no component updates,
 * no sync, no first-run work), so a test sees only its own traffic. --no-sandbox: CI runs as root.
 */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'flash-sale-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 1600 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
