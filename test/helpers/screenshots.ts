/**
 * Pictures for the docs, taken by the e2e tests from the real renderer: written only when
 * FLOWSTUDIO_SCREENSHOTS names a folder (e.g. `FLOWSTUDIO_SCREENSHOTS=docs/screenshots`), so a
 * normal test run leaves the tree clean. Every shot also goes to test-output/e2e for a look.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { testOutputDir } from './chromium';

export const SCREENSHOTS_ENV = 'FLOWSTUDIO_SCREENSHOTS';

/** Charts redraw at most 10 times a second and legends 4 times: let them settle first. */
const SETTLE_MS = 700;

export async function docShot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(SETTLE_MS);
  await page.screenshot({ path: join(testOutputDir('e2e'), `${name}.png`) });
  const dir = process.env[SCREENSHOTS_ENV];
  if (!dir) return;
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  await page.screenshot({ path: join(target, `${name}.png`) });
}
