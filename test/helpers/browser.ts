/**
 * A real browser for the page tests: Debian's Chromium driven by playwright-core. Locally, a
 * machine without Chromium skips those tests with the reason; under CI (CI=true) the browser is
 * required, so a missing one fails the run instead of passing silently.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './server-process.js';

export const CHROMIUM = process.env.STREAMGATE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Why the browser tests cannot run here, or null when they can. Throws under CI. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${reason}: CI must run the browser tests`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Saves a full-page PNG to test-artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
