/**
 * The studio against the real serve mode and engine: start a toy training from the Train view,
 * watch the NLL chart gain points and the log-det chart show one series per layer, pause and
 * resume, reload the window and find the charts restored, then see the run in the toy lab.
 * Needs `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { docShot } from '../helpers/screenshots';
import { waitForState } from '../helpers/studio';
import { type StartedServer, startServing } from '../helpers/cliProcess';

let server: StartedServer;
let browser: Browser;
let runsDir: string;

beforeAll(async () => {
  runsDir = mkdtempSync(join(tmpdir(), 'flowstudio-ui-train-'));
  server = await startServing(['serve'], { FLOWSTUDIO_RUNS: runsDir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (runsDir) rmSync(runsDir, { recursive: true, force: true });
});

async function count(page: Page, testId: string, attribute: string): Promise<number> {
  return Number((await page.getByTestId(testId).getAttribute(attribute)) ?? 'NaN');
}

describe('Train view, live', () => {
  it('trains a toy flow with live charts, pauses, resumes and survives a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
    await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });

    // A small toy run through the form (the toy2d preset, few blocks, long enough to pause).
    await page.getByTestId('preset').selectOption('toy2d');
    await page.getByTestId('data-spec').fill('toy:two-moons');
    await page.getByTestId('field-model-blocksPerLevel').fill('2');
    await page.getByTestId('field-model-coupling-hidden').fill('16');
    await page.getByTestId('field-train-batchSize').fill('64');
    await page.getByTestId('field-train-steps').fill('3000');
    await page.getByTestId('start-training').click();
    await waitForState(page, /running|starting/);

    // NLL gains points as metrics stream in.
    await expect.poll(() => count(page, 'chart-nll', 'data-point-count'), { timeout: 60_000, interval: 250 }).toBeGreaterThan(2);
    const early = await count(page, 'chart-nll', 'data-point-count');
    await expect.poll(() => count(page, 'chart-nll', 'data-point-count'), { timeout: 30_000, interval: 250 }).toBeGreaterThan(early);

    // One log-det series per layer the engine reported (2 blocks x conv/aff/act, at least).
    const layers = await count(page, 'logdet-legend', 'data-layer-count');
    expect(layers).toBeGreaterThanOrEqual(6);
    expect(await count(page, 'chart-logdet', 'data-series-count')).toBe(layers);
    await expect.poll(() => page.getByTestId('logdet-chip').count()).toBe(layers);

    // Pause: the step stops moving. Resume: it moves again.
    await page.getByTestId('btn-pause').click();
    await waitForState(page, /^paused$/, 30_000);
    const pausedAt = await page.getByTestId('run-step').textContent();
    await page.waitForTimeout(1000);
    expect(await page.getByTestId('run-step').textContent()).toBe(pausedAt);
    await page.getByTestId('btn-resume').click();
    await waitForState(page, /^running$/, 30_000);
    await expect.poll(() => page.getByTestId('run-step').textContent(), { timeout: 30_000 }).not.toBe(pausedAt);
    await page.waitForTimeout(500);
    await docShot(page, 'train-toy-live');

    // A reload restores the run and its history; the stream carries on.
    const beforeReload = await count(page, 'chart-nll', 'data-point-count');
    await page.reload();
    await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });
    await expect.poll(() => count(page, 'chart-nll', 'data-point-count'), { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(Math.min(beforeReload, 10));
    expect(await count(page, 'chart-logdet', 'data-series-count')).toBe(layers);

    await page.getByTestId('btn-stop').click();
    await waitForState(page, /stopped|finished/, 30_000);

    // The toy lab shows this run's density estimate and the data after every layer.
    await page.getByTestId('nav-toy').click();
    await page.getByTestId('toy-density').waitFor({ timeout: 60_000 });
    // The engine reports the data before the flow and after each block (2 blocks here).
    await expect.poll(() => count(page, 'toy-layers', 'data-layer-count'), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    await docShot(page, 'toy-lab');
    expect(problems, problems.join('\n')).toEqual([]);
    await page.close();
  });
});
