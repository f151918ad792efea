/**
 * The sampler and the latent studio against the real serve mode and engine, on a tiny
 * Fashion-MNIST flow trained for a few steps through the UI: moving the temperature slider
 * changes the samples; changing a level's control changes the perturbed image, the grid
 * temperature changes the Fig. 5 grid, and two images interpolate. Needs `npm run build` and /usr/share/datasets/fashion-mnist.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
let page: Page;
let runsDir: string;
const problems: string[] = [];

const src = (testId: string) => () => page.getByTestId(testId).getAttribute('src');

beforeAll(async () => {
  runsDir = mkdtempSync(join(tmpdir(), 'flowstudio-ui-images-'));
  server = await startServing(['serve'], { FLOWSTUDIO_RUNS: runsDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(server.url);
  await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });

  // The smallest image flow the preset allows: 2 levels x 1 block, hidden 8, a few steps.
  await page.getByTestId('preset').selectOption('fashion-mnist-small');
  await page.getByTestId('data-spec').fill('fashion-mnist:/usr/share/datasets/fashion-mnist');
  await page.getByTestId('field-model-blocksPerLevel').fill('1');
  await page.getByTestId('field-model-coupling-hidden').fill('8');
  await page.getByTestId('field-train-batchSize').fill('8');
  await page.getByTestId('field-train-steps').fill('4');
  // A periodic evaluation at step 2 besides the initial one and the final one at step 4.
  await page.getByTestId('more-settings').click();
  await page.getByTestId('field-train-evalEvery').fill('2');
  await page.getByTestId('field-train-evalN').fill('64');
  // Per-layer log-dets and variances at every step, so those charts have a curve to show.
  await page.getByTestId('field-train-diagnosticsEvery').fill('1');
  await page.getByTestId('start-training').click();
  await waitForState(page, /finished|stopped/, 110_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (runsDir) rmSync(runsDir, { recursive: true, force: true });
});

/** The test evaluations the trainer wrote to the run's metrics.jsonl, in order. */
function testEvaluations(): { step: number; testBpd: number }[] {
  const [run] = readdirSync(runsDir).filter((name) => !name.startsWith('.'));
  const lines = readFileSync(join(runsDir, run!, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return lines.map((line) => JSON.parse(line) as { step: number; testBpd?: number }).filter((r): r is { step: number; testBpd: number } => r.testBpd !== undefined);
}

describe('Train view after a reload', () => {
  it('draws every test evaluation of the finished run, the final one in the legend', async () => {
    const evaluations = testEvaluations();
    // Initial (step 0), periodic (step 2) and final (step 4, a record of its own).
    expect(evaluations.map((e) => e.step)).toEqual([0, 2, 4]);
    await page.reload();
    await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });
    const points = async (): Promise<number[]> => ((await page.getByTestId('chart-nll').getAttribute('data-series-points')) ?? '').split(',').map(Number);
    await expect.poll(points, { timeout: 30_000, interval: 250 }).toEqual([4, evaluations.length]);
    const final = evaluations[evaluations.length - 1]!.testBpd;
    expect(Number(await page.getByTestId('nll-latest-test').getAttribute('data-value'))).toBeCloseTo(final, 10);
    await docShot(page, 'train-image-run');
  });
});

describe('Lipschitz panel', () => {
  it('estimates every block of the run and draws one bar per block', async () => {
    const [run] = readdirSync(runsDir).filter((name) => !name.startsWith('.'));
    const { model } = JSON.parse(readFileSync(join(runsDir, run!, 'config.json'), 'utf8')) as { model: { levels: number; blocksPerLevel: number } };
    const chart = page.getByTestId('chart-lipschitz');
    expect(await chart.getAttribute('data-block-count')).toBe('0');
    await page.getByTestId('lipschitz-iterations').fill('5');
    await page.getByTestId('lipschitz-estimate').click();
    await expect.poll(() => chart.getAttribute('data-block-count'), { timeout: 60_000, interval: 250 }).toBe(String(model.levels * model.blocksPerLevel));
    const values = ((await chart.getAttribute('data-values')) ?? '').split(',').map(Number);
    // A spectral norm is positive; these near-identity blocks (few steps from the volume-preserving init) sit near 1.
    for (const v of values) {
      expect(v).toBeGreaterThan(0.1);
      expect(v).toBeLessThan(10);
    }
    expect(await page.getByTestId('lipschitz-summary').textContent()).toMatch(/max \d/);
    await page.getByTestId('panel-lipschitz').scrollIntoViewIfNeeded();
    await docShot(page, 'train-lipschitz');
  });
});

describe('Sampler', () => {
  it('moving the temperature slider changes the samples', async () => {
    await page.getByTestId('nav-sampler').click();
    await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
    const before = await src('sample-grid')();
    // Keyboard on the slider: each arrow is one 0.01 step, as a user would nudge it.
    await page.getByTestId('temperature').focus();
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('temperature-value').textContent()).toBe('0.60');
    await expect.poll(src('sample-grid'), { timeout: 60_000, interval: 250 }).not.toBe(before);
    await docShot(page, 'sampler');
  });
});

describe('Latent studio', () => {
  it('changing a level control changes the perturbed image; the grid follows its temperature', async () => {
    await page.getByTestId('nav-latent').click();
    await page.getByTestId('perturbed-image').waitFor({ timeout: 60_000 });
    const before = await src('perturbed-image')();
    const toggle = page.getByTestId('level-1-keep');
    expect(await toggle.textContent()).toContain('resample');
    await toggle.click(); // level 1: resample -> keep; every level kept now
    await expect.poll(src('perturbed-image'), { timeout: 60_000, interval: 250 }).not.toBe(before);

    await page.getByTestId('perturb-grid').waitFor({ timeout: 60_000 });
    const gridBefore = await page.getByTestId('perturb-grid').innerHTML();
    expect(await page.getByTestId('perturb-grid').locator('img').count()).toBe(1 + 2 * 2);
    await page.getByTestId('grid-temperature').fill('0.3');
    await expect.poll(() => page.getByTestId('perturb-grid').innerHTML(), { timeout: 60_000, interval: 250 }).not.toBe(gridBefore);

    // Interpolation between test images 0 and 1, in 8 frames.
    await page.getByTestId('interpolate').click();
    await expect.poll(() => page.getByTestId('interpolation').locator('img').count(), { timeout: 60_000, interval: 250 }).toBe(8);
    await docShot(page, 'latent-studio');
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

describe('Run comparison', () => {
  it('a second run from the first one\'s settings, both overlaid in bits/dim with their settings side by side', async () => {
    await page.getByTestId('nav-train').click();
    // The form is folded while a run is open; fill it from the open run and change one setting.
    await page.getByTestId('new-run-folded').waitFor();
    await page.getByTestId('new-run-from-this').click();
    await page.getByTestId('filled-from').waitFor();
    expect(await page.getByTestId('field-train-steps').inputValue()).toBe('4');
    expect(await page.getByTestId('data-spec').inputValue()).toBe('fashion-mnist:/usr/share/datasets/fashion-mnist');
    await page.getByTestId('field-model-beta').fill('0.6');
    const firstRun = await page.getByTestId('run-id').textContent();
    await page.getByTestId('start-training').click();
    await expect.poll(() => page.getByTestId('run-id').textContent(), { timeout: 60_000 }).not.toBe(firstRun);
    await waitForState(page, /finished|stopped/, 110_000);

    const runDirs = readdirSync(runsDir).filter((name) => !name.startsWith('.'));
    expect(runDirs).toHaveLength(2);
    const finals = new Map(
      runDirs.map((dir) => {
        const lines = readFileSync(join(runsDir, dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
        const tests = lines.map((l) => JSON.parse(l) as { testBpd?: number }).filter((r) => r.testBpd !== undefined);
        return [dir, tests[tests.length - 1]!.testBpd!] as const;
      }),
    );

    await page.getByTestId('nav-compare').click();
    const picks = page.getByTestId('compare-pick');
    await expect.poll(() => picks.count(), { timeout: 30_000 }).toBe(2);
    await picks.nth(0).check();
    await picks.nth(1).check();
    const chart = page.getByTestId('chart-compare');
    await expect.poll(() => chart.getAttribute('data-run-count'), { timeout: 30_000, interval: 250 }).toBe('2');
    expect(await chart.getAttribute('data-unit')).toBe('bpd');
    // Each run's newest test value in the legend is its final evaluation in metrics.jsonl.
    const items = page.getByTestId('compare-legend-item');
    expect(await items.count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      const runId = (await items.nth(i).getAttribute('data-run-id'))!;
      const dir = runDirs.find((d) => runId === d || runId.endsWith(`-${d}`))!;
      expect(dir, `run folder of ${runId}`).toBeDefined();
      expect(Number(await items.nth(i).getAttribute('data-test-value'))).toBeCloseTo(finals.get(dir)!, 10);
      expect(await items.nth(i).getAttribute('data-test-count')).toBe('3');
    }
    // Their settings side by side: β is the one field changed, so it is highlighted.
    const differing = await page.getByTestId('config-row-differs').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(differing).toContain('model.beta');
    expect(differing).not.toContain('model.levels');
    await page.getByTestId('only-differences').check();
    await expect.poll(() => page.getByTestId('config-row').count()).toBe(0);
    await docShot(page, 'compare');
    // Fig. 2's comparison: the invertible convolutions' log-det, one series per level and run.
    await page.getByTestId('compare-metric').selectOption('conv-logdet');
    await expect.poll(() => chart.getAttribute('data-metric')).toBe('conv-logdet');
    const levels = page.getByTestId('compare-logdet-levels');
    expect(await levels.count()).toBe(2);
    for (let i = 0; i < 2; i++) expect(await levels.nth(i).getAttribute('data-levels')).toBe('2');
    await page.getByTestId('compare-metric').selectOption('nll');

    // The dark theme, on the Train view of the second run.
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('nav-train').click();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await docShot(page, 'train-dark');
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
