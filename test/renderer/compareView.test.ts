// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import { convLogdetPoints } from '../../src-renderer/src/lib/charts/comparisonChart';
import type { LayerDescriptor, MetricsRecord } from '../../src-shared/protocol';
import { FakeEngine } from './helpers/fakeEngine';
import { type Mounted, mountWithEngine } from './helpers/mountApp';

let mounted: Mounted | undefined;

beforeEach(() => {
  localStorage.clear();
  window.location.hash = '#/compare';
});
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = undefined;
});

describe('Compare view', () => {
  it('overlays the picked image runs in bits/dim, lists a toy run apart and highlights the settings that differ', async () => {
    const engine = new FakeEngine();
    const a = engine.addRun('fashion-mnist-small', 120, 'finished', 'fashion-mnist:/data/a');
    const b = engine.addRun('fashion-mnist-small', 60, 'finished', 'fashion-mnist:/data/b');
    const toy = engine.addRun('toy2d', 30, 'finished');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, charts, tick } = mounted;
    const pick = (runId: string) => wrapper.get(`[data-testid="compare-pick"][data-run-id="${runId}"]`);
    for (const run of [a, b, toy]) {
      await pick(run.summary.runId).setValue(true);
      await tick();
    }
    const chart = wrapper.get('[data-testid="chart-compare"]');
    expect(chart.attributes('data-run-count')).toBe('2');
    expect(chart.attributes('data-unit')).toBe('bpd');
    expect(wrapper.get('[data-testid="compare-other-unit"]').text()).toContain(toy.summary.runId);
    // One chart with train and test per run; the points are the runs' own records.
    const drawn = charts[charts.length - 1]!;
    expect(drawn.data.datasets.map((d) => d.label)).toEqual([`${a.summary.runId} train`, `${a.summary.runId} test`, `${b.summary.runId} train`, `${b.summary.runId} test`]);
    expect(drawn.data.datasets[0]!.data).toHaveLength(120);
    const testsOfA = a.metrics.filter((r) => r.testBpd !== undefined);
    expect(drawn.data.datasets[1]!.data).toEqual(testsOfA.map((r) => ({ x: r.step, y: r.testBpd })));
    const legendA = wrapper.get(`[data-testid="compare-legend-item"][data-run-id="${a.summary.runId}"]`);
    expect(Number(legendA.attributes('data-test-value'))).toBe(testsOfA[testsOfA.length - 1]!.testBpd);
    // Settings side by side: the data spec differs, the preset does not.
    const differing = wrapper.findAll('[data-testid="config-row-differs"]').map((r) => r.attributes('data-key'));
    expect(differing).toContain('data');
    expect(differing).not.toContain('preset');
    await wrapper.get('[data-testid="only-differences"]').setValue(true);
    await tick();
    expect(wrapper.findAll('[data-testid="config-row"]')).toHaveLength(0);
    // Unpicking a run takes it off the chart.
    await pick(b.summary.runId).setValue(false);
    await tick();
    expect(wrapper.get('[data-testid="chart-compare"]').attributes('data-run-count')).toBe('1');
  });

  it('keeps the picks over a reload opened straight on the view', async () => {
    const engine = new FakeEngine();
    const a = engine.addRun('fashion-mnist-small', 40, 'finished', 'fashion-mnist:/data/a');
    const b = engine.addRun('fashion-mnist-small', 40, 'finished', 'fashion-mnist:/data/b');
    localStorage.setItem('flowstudio.compare', JSON.stringify([a.summary.runDir, b.summary.runDir, 'runs/gone']));
    mounted = await mountWithEngine(App, engine);
    await mounted.tick();
    expect(mounted.wrapper.get('[data-testid="chart-compare"]').attributes('data-run-count')).toBe('2');
    expect(JSON.parse(localStorage.getItem('flowstudio.compare')!)).toEqual([a.summary.runDir, b.summary.runDir]);
  });

  it('sums the invertible convolutions\' log-dets per level for the Fig. 2 comparison', () => {
    const layers: LayerDescriptor[] = [
      { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
      { name: 'L1.B1.aff', level: 0, block: 0, kind: 'aff' },
      { name: 'L1.B2.conv', level: 0, block: 1, kind: 'conv' },
      { name: 'L2.B1.conv', level: 1, block: 0, kind: 'conv' },
    ];
    const metrics: MetricsRecord[] = [
      { step: 10, time: 0, layerLogdet: [1, 100, 2, 5] },
      { step: 0, time: 0, layerLogdet: [0.5, 100, 0.25, 1] },
      { step: 5, time: 0, trainBpd: 3 },
    ];
    expect(convLogdetPoints(metrics, layers)).toEqual([
      { label: 'L1 conv', points: [{ x: 0, y: 0.75 }, { x: 10, y: 3 }] },
      { label: 'L2 conv', points: [{ x: 0, y: 1 }, { x: 10, y: 5 }] },
    ]);
  });
});
