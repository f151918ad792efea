// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import { resolveRunConfig } from '../../src-shared/config';
import { FakeEngine } from './helpers/fakeEngine';
import { type Mounted, mountWithEngine } from './helpers/mountApp';

let mounted: Mounted | undefined;

beforeEach(() => {
  localStorage.clear();
  window.location.hash = '';
});
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = undefined;
});

async function settleDebounce(m: Mounted, ms = 500): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await m.tick();
}

describe('Train view', () => {
  it('validates as you type and starts a run with the edited overrides', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    await wrapper.get('[data-testid="preset"]').setValue('toy2d');
    await wrapper.get('[data-testid="data-spec"]').setValue('toy:8gaussians');
    const blocks = wrapper.get('[data-testid="field-model-blocksPerLevel"]');
    await blocks.setValue('');
    await tick();
    expect(wrapper.text()).toContain('required');
    expect(wrapper.get('[data-testid="start-training"]').attributes('disabled')).toBeDefined();
    await blocks.setValue('2');
    await wrapper.get('[data-testid="field-train-steps"]').setValue('30');
    await tick();
    expect(wrapper.get('[data-testid="start-training"]').attributes('disabled')).toBeUndefined();
    await wrapper.get('[data-testid="new-run-form"]').trigger('submit');
    await tick();
    expect(engine.bridge.lastArgs('startTraining')).toEqual({
      preset: 'toy2d',
      overrides: { data: 'toy:8gaussians', model: { blocksPerLevel: 2 }, train: { steps: 30 } },
    });
    expect(wrapper.get('[data-testid="run-state"]').text()).toBe('running');
    expect(wrapper.get('[data-testid="chart-logdet"]').attributes('data-series-count')).toBe('6');
  });

  it('folds the new-run form while a run is open and fills it from the run on request', async () => {
    const engine = new FakeEngine();
    const run = engine.addRun('fashion-mnist-small', 10, 'finished');
    localStorage.setItem('flowstudio.lastRunDir', run.summary.runDir);
    mounted = await mountWithEngine(App, engine);
    const { wrapper, tick } = mounted;
    // The toy2d fields from the last preset are not on screen beside the Fashion-MNIST run.
    expect(wrapper.find('[data-testid="new-run-form"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="new-run-folded"]').text()).toContain(run.summary.runId);
    await wrapper.get('[data-testid="expand-new-run"]').trigger('click');
    await tick();
    expect(wrapper.get('[data-testid="new-run-note"]').text()).toContain(`not those of ${run.summary.runId}`);
    expect((wrapper.get('[data-testid="preset"]').element as HTMLSelectElement).value).toBe('toy2d');
    await wrapper.get('[data-testid="new-run-from-this"]').trigger('click');
    await tick();
    expect((wrapper.get('[data-testid="preset"]').element as HTMLSelectElement).value).toBe('fashion-mnist-small');
    expect((wrapper.get('[data-testid="data-spec"]').element as HTMLInputElement).value).toBe(run.config.data);
    expect((wrapper.get('[data-testid="field-train-steps"]').element as HTMLInputElement).value).toBe(String(run.config.train.steps));
    expect(wrapper.get('[data-testid="filled-from"]').text()).toContain(run.summary.runId);
    // Started as it stands, the form asks for the run's own config again.
    await wrapper.get('[data-testid="new-run-form"]').trigger('submit');
    await tick();
    const args = engine.bridge.lastArgs('startTraining')!;
    expect(resolveRunConfig(args.preset, args.overrides)).toEqual(run.config);
  });

  it('previews the dataset and shows why it cannot be read', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper } = mounted;
    await wrapper.get('[data-testid="preset"]').setValue('fashion-mnist-small');
    await wrapper.get('[data-testid="data-spec"]').setValue('fashion-mnist:/data/fm');
    await settleDebounce(mounted);
    expect(wrapper.get('[data-testid="dataset-train-count"]').text()).toBe('60\u202f000');
    expect(wrapper.findAll('[data-testid="dataset-preview"] img')).toHaveLength(8);
    await wrapper.get('[data-testid="data-spec"]').setValue('fashion-mnist:/data/missing');
    await settleDebounce(mounted);
    expect(wrapper.get('[data-testid="dataset-preview"]').text()).toContain('no dataset at /data/missing: folder not found');
  });

  it('offers Browse only in Electron, where it fills the path into the spec', async () => {
    mounted = await mountWithEngine(App);
    expect(mounted.wrapper.find('[data-testid="browse"]').exists()).toBe(false);
    mounted.wrapper.unmount();
    mounted = await mountWithEngine(App, new FakeEngine({ mode: 'electron', pickedPath: '/home/me/fmnist' }));
    const { wrapper, tick } = mounted;
    await wrapper.get('[data-testid="preset"]').setValue('fashion-mnist-small');
    await wrapper.get('[data-testid="browse"]').trigger('click');
    await tick();
    expect((wrapper.get('[data-testid="data-spec"]').element as HTMLInputElement).value).toBe('fashion-mnist:/home/me/fmnist');
  });

  it('pause and resume drive controlTraining and the buttons follow the state', async () => {
    const engine = new FakeEngine();
    const run = engine.addRun('toy2d', 10, 'running');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, tick } = mounted;
    await wrapper.get('[data-testid="btn-pause"]').trigger('click');
    await tick();
    expect(engine.bridge.lastArgs('controlTraining')).toEqual({ runId: run.summary.runId, action: 'pause' });
    expect(wrapper.get('[data-testid="run-state"]').text()).toBe('paused');
    await wrapper.get('[data-testid="btn-resume"]').trigger('click');
    await tick();
    expect(wrapper.get('[data-testid="run-state"]').text()).toBe('running');
    expect(wrapper.find('[data-testid="btn-resume"]').exists()).toBe(false);
  });

  it('estimates the Lipschitz constant of every block on request and draws one bar per block', async () => {
    const engine = new FakeEngine();
    const run = engine.addRun('fashion-mnist-small', 20, 'finished');
    localStorage.setItem('flowstudio.lastRunDir', run.summary.runDir);
    mounted = await mountWithEngine(App, engine);
    const { wrapper, charts, tick } = mounted;
    expect(wrapper.get('[data-testid="chart-lipschitz"]').attributes('data-block-count')).toBe('0');
    await wrapper.get('[data-testid="lipschitz-iterations"]').setValue('5');
    await wrapper.get('[data-testid="lipschitz-estimate"]').trigger('click');
    await tick();
    expect(engine.bridge.lastArgs('lipschitz')).toEqual({ run: { runDir: run.summary.runDir }, iterations: 5 });
    const { model } = run.config;
    const blocks = model.levels * model.blocksPerLevel;
    expect(wrapper.get('[data-testid="chart-lipschitz"]').attributes('data-block-count')).toBe(String(blocks));
    const bar = charts.find((c) => (c.data.labels ?? []).length === blocks)!;
    expect(bar.data.labels?.[0]).toBe('L1.B1');
    expect(bar.data.datasets[0]!.data).toHaveLength(blocks);
    // Coloured by level: the first block of level 1 and of level 2 differ.
    const colors = bar.data.datasets[0]!.backgroundColor as string[];
    expect(colors[0]).not.toBe(colors[model.blocksPerLevel]);
    expect(wrapper.get('[data-testid="lipschitz-summary"]').text()).toContain(`L${model.levels}.B${model.blocksPerLevel}`);
  });

  it('the log-det legend hides a layer on click', async () => {
    const engine = new FakeEngine();
    engine.addRun('toy2d', 30, 'running');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, charts, tick } = mounted;
    const chip = wrapper.findAll('[data-testid="logdet-chip"]')[1]!;
    expect(chip.text()).toMatch(/^L1\.B1\.aff [+−]/);
    await chip.trigger('click');
    await tick();
    const logdetChart = charts.find((c) => c.data.datasets.length === 24)!;
    expect(logdetChart.data.datasets.map((d) => Boolean(d.hidden))).toEqual(Array.from({ length: 24 }, (_, i) => i === 1));
    expect(chip.attributes('aria-pressed')).toBe('false');
  });
});

describe('Log-det grouping', () => {
  it('sums the 1×1 convolutions per level on request, one chip per level', async () => {
    const engine = new FakeEngine();
    const run = engine.addRun('toy2d', 30, 'running');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, charts, tick } = mounted;
    await wrapper.get('[data-testid="logdet-kind"]').setValue('conv');
    await wrapper.get('[data-testid="logdet-grouping"]').setValue('level');
    await tick();
    const levels = run.config.model.levels;
    expect(wrapper.get('[data-testid="logdet-legend"]').attributes('data-series-count')).toBe(String(levels));
    expect(wrapper.findAll('[data-testid="logdet-chip"]')).toHaveLength(levels);
    const chart = charts.find((c) => c.data.datasets[0]?.label === 'L1 conv')!;
    const last = [...run.metrics].reverse().find((r) => r.layerLogdet)!;
    const expected = run.layers.flatMap((l, i) => (l.level === 0 && l.kind === 'conv' ? [last.layerLogdet![i]!] : [])).reduce((a, b) => a + b, 0);
    const points = chart.data.datasets[0]!.data as { x: number; y: number }[];
    expect(points[points.length - 1]).toEqual({ x: last.step, y: expected });
  });
});

describe('Sampler and latent studio views', () => {
  it('moving the temperature slider brings a new sample grid', async () => {
    const engine = new FakeEngine();
    engine.addRun('fashion-mnist-small', 20, 'running');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, tick } = mounted;
    await wrapper.get('[data-testid="nav-sampler"]').trigger('click');
    await settleDebounce(mounted);
    const before = wrapper.get('[data-testid="sample-grid"]').attributes('src');
    await wrapper.get('[data-testid="temperature"]').setValue('0.35');
    await tick();
    expect(wrapper.get('[data-testid="temperature-value"]').text()).toBe('0.35');
    await settleDebounce(mounted);
    expect(engine.bridge.lastArgs('sample')?.temperature).toBe(0.35);
    expect(wrapper.get('[data-testid="sample-grid"]').attributes('src')).not.toBe(before);
  });

  it('toggling a level re-decodes the perturbed image; the Fig. 5 grid follows its temperature', async () => {
    const engine = new FakeEngine();
    engine.addRun('fashion-mnist-small', 20, 'finished');
    const run = [...engine.runs.values()][0]!;
    localStorage.setItem('flowstudio.lastRunDir', run.summary.runDir);
    mounted = await mountWithEngine(App, engine);
    const { wrapper } = mounted;
    await wrapper.get('[data-testid="nav-latent"]').trigger('click');
    await settleDebounce(mounted);
    const perturbed = (): string | undefined => wrapper.get('[data-testid="perturbed-image"]').attributes('src');
    const before = perturbed();
    await wrapper.get('[data-testid="level-2-keep"]').trigger('click');
    await settleDebounce(mounted);
    expect(engine.bridge.lastArgs('perturb')?.levels).toEqual([
      { keep: false, temperature: 0.9 },
      { keep: false, temperature: 0.9 },
    ]);
    expect(perturbed()).not.toBe(before);
    const gridBefore = wrapper.get('[data-testid="perturb-grid"]').html();
    await wrapper.get('[data-testid="grid-temperature"]').setValue('0.4');
    await settleDebounce(mounted);
    expect(wrapper.get('[data-testid="perturb-grid"]').html()).not.toBe(gridBefore);
    expect(wrapper.findAll('[data-testid="perturb-grid"] img')).toHaveLength(1 + 2 * 2);
  });
});
