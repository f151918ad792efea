// @vitest-environment happy-dom
/**
 * The NLL chart's reference lines: computed on the test split (the test curve's), the PPCA line
 * labelled a linear-flow bound, the QLF line an estimate with its estimator in the tooltip.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import { boundsReferenceLines } from '../../src-renderer/src/lib/charts/referenceLines';
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

describe('reference lines', () => {
  it('say what each line is: the PPCA value a bound for linear flows, the QLF value an estimate', () => {
    const lines = boundsReferenceLines(
      { ppcaBpd: 6.389, qlfBpd: 6.3192, heldOutPpcaBpd: 6.4609, estimator: 'per-image stationary auto-correlation', split: 'test', dims: 784, count: 10000 },
      { linear: '#111', qlf: '#222' },
    );
    expect(lines.map((l) => [l.y, l.label, l.color])).toEqual([
      [6.389, 'linear-flow bound (PPCA, test) 6.39', '#111'],
      [6.3192, 'QLF estimate (Eq. 6, test) 6.32, not a bound', '#222'],
    ]);
    expect(lines[0]!.title).toContain('no x-independent linear flow gets below this line');
    expect(lines[0]!.title).toContain('fitted on the train split scores 6.461');
    expect(lines[1]!.title).toContain('estimated with: per-image stationary auto-correlation');
    expect(lines[1]!.title).toContain('not a bound');
    // The two are drawn differently: solid bound, dotted estimate.
    expect(lines[0]!.dash).toEqual([]);
    expect(lines[1]!.dash).not.toEqual([]);
  });

  it('the panel asks for the test split and shows each line with its tooltip', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    await wrapper.get('[data-testid="preset"]').setValue('fashion-mnist-small');
    await wrapper.get('[data-testid="new-run-form"]').trigger('submit');
    await tick();
    await wrapper.get('[data-testid="compute-bounds"]').trigger('click');
    await tick();
    expect(engine.bridge.lastArgs('bounds')).toMatchObject({ split: 'test', heldOut: true });
    const shown = wrapper.findAll('[data-testid="reference-line"]');
    expect(shown.map((s) => s.text())).toEqual(['linear-flow bound (PPCA, test) 4.2', 'QLF estimate (Eq. 6, test) 2.01, not a bound']);
    expect(shown[1]!.attributes('title')).toContain('estimated with: fake estimator');
  });
});
