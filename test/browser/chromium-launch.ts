// How the browser tests start Debian's Chromium: headless through playwright-core, a fresh
// on-disk profile per launch, never a Playwright-downloaded browser. See docs/browser.md.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's package (`apt-get install -y chromium`); `KHALA_CHROMIUM` points elsewhere, e.g. on a laptop. */
export const CHROMIUM = process.env.KHALA_CHROMIUM ?? '/usr/bin/chromium';
/** Quiet, offline-safe flags: no GPU, no sandbox (root in CI), no background traffic, no QUIC. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** A launched browser and the profile directory it owns. */
export interface LaunchedChromium {
  context: BrowserContext;
  /** Close the browser and delete its profile. */
  close(): Promise<void>;
}

/** Throws, never skips, when no browser is installed. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser tests need a real Chromium and never skip: ` +
        'install it with "apt-get update && apt-get install -y chromium" (Debian/Ubuntu), or set KHALA_CHROMIUM to a Chromium/Chrome binary. ' +
        '"npx playwright install" is not used.',
    );
  }
}

/** Start Chromium on a fresh `--user-data-dir`. */
export async function launchChromium(): Promise<LaunchedChromium> {
  assertChromium();
  const profileDir = mkdtempSync(join(tmpdir(), 'khala-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Where browser tests save screenshots (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');
