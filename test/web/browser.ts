// Headless Chromium for the page tests: Debian's own build (/usr/bin/chromium, which .ci/run
// installs), driven by playwright-core, which downloads no browser. One launch per test file, in a
// fresh profile (Playwright makes a temporary one for each launch), with everything that would talk
// to the internet switched off. A missing Chromium fails the test: nothing is skipped.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { packageRoot } from '../../src/config/index.js';

export const CHROMIUM_PATH = process.env.RELAYD_TEST_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = join(packageRoot(), 'test', 'artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: the page tests need it. .ci/run installs it (apt-get install chromium).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true, timeout: 60_000 });
}

/**
 * Registers hooks that launch Chromium once for the file and close it. A launch that failed (no
 * Chromium) fails each test that asks for the browser, with the launch's message, rather than
 * cancelling them from the hook.
 */
export function useChromium(): { readonly browser: Browser } {
  let launched: Browser | undefined;
  let failure: unknown;
  before(async () => {
    launched = await launchChromium().catch((err: unknown) => {
      failure = err;
      return undefined;
    });
  });
  after(async () => {
    await launched?.close();
  });
  return {
    get browser(): Browser {
      if (launched === undefined) throw failure ?? new Error('Chromium is not launched yet');
      return launched;
    },
  };
}

/** A path for a screenshot under test/artifacts, the folder made if needed. */
export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
