// Debian's Chromium, driven by playwright-core, for the browser tests of the status page.
// Playwright's own browser download cannot work on a machine that reaches only package
// registries, so the browser is the distribution's package, installed by the test environment
// when missing (apt.ts: only then is apt run). Each launch gets a new empty profile directory,
// removed when the browser closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ensureDebianBinary } from './apt.ts';

/**
 * Headless, no sandbox (the tests run as root), and none of the background connections
 * Chromium makes to Google's services: on a machine with a closed network they fail by the
 * dozen and slow every start.
 */
export const chromiumArguments = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The path of Debian's chromium, installing the package when it is missing. */
export async function ensureChromium(): Promise<string> {
  return ensureDebianBinary('chromium', 'chromium');
}

export interface ChromiumSession {
  context: BrowserContext;
  /** Closes the browser and deletes its profile directory. */
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 1000 }): Promise<ChromiumSession> {
  const executablePath = await ensureChromium();
  const profileDir = mkdtempSync(join(tmpdir(), 'lagpilot-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: chromiumArguments,
      viewport,
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw new Error(`Chromium (${executablePath}) did not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
