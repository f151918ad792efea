/**
 * `npm start` without an Electron binary: one line saying so, serve mode, and the page loaded
 * in Debian's chromium shows the active tfjs backend reported by the engine process.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, testOutputDir } from '../helpers/chromium';
import { type StartedServer, startServing } from '../helpers/cliProcess';
import type { Browser } from 'playwright-core';

let server: StartedServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServing(['start']);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('npm start without Electron', () => {
  it('says why in one line and prints the serve URL', () => {
    const lines = server.output().trim().split('\n');
    expect(lines[0]).toMatch(/^No Electron binary \(.+\); starting serve mode instead\.$/);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('loads the studio in chromium and shows the active backend', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    await page.goto(server.url);
    const name = page.getByTestId('backend-name');
    await name.waitFor({ timeout: 60_000 });
    expect(['wasm', 'cpu', 'tensorflow']).toContain((await name.textContent())?.trim());
    await page.screenshot({ path: join(testOutputDir('e2e'), 'serve-backend.png') });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
    await page.close();
  });
});
