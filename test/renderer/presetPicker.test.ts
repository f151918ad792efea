// @vitest-environment happy-dom
/** The preset picker shows each preset's parameter count from the engine; the warm-up is a form field. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import { PresetNameSchema } from '../../src-shared/config';
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

describe('preset picker', () => {
  it('labels every preset with the count listPresets sends, and Table 1 beside a paper preset', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    expect(engine.bridge.lastArgs('listPresets')).toEqual({});
    const options = wrapper.get('[data-testid="preset"]').findAll('option').map((o) => o.text());
    expect(options.slice(0, 5)).toEqual([
      'paper-cifar10 · 12.45M',
      'paper-imagenet32 · 12.45M',
      'paper-celebahq1024 · 23.37M',
      'fashion-mnist-small · 236k',
      'toy2d · 75k',
    ]);
    // Then the baselines (Table 1's other systems): every preset once, each with its count.
    expect(options).toContain('glow-cifar10 · 43.95M');
    expect(options.map((o) => o.split(' · ')[0])).toEqual(PresetNameSchema.options);
    for (const option of options) expect(option).toMatch(/ · \d+(\.\d+)?[kM]?$/);
    await wrapper.get('[data-testid="preset"]').setValue('paper-celebahq1024');
    await tick();
    expect(wrapper.get('[data-testid="preset-parameters"]').text()).toBe('23.37M parameters (Table 1, CelebA-HQ 1024: 23.30M)');
    await wrapper.get('[data-testid="preset"]').setValue('fashion-mnist-small');
    await tick();
    expect(wrapper.get('[data-testid="preset-parameters"]').text()).toBe('236k parameters');
  });

  it('has a warm-up field filled from the preset, sent as an override when edited', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    await wrapper.get('[data-testid="preset"]').setValue('fashion-mnist-small');
    await tick();
    const warmup = wrapper.get('[data-testid="field-train-learningRate-warmupSteps"]');
    expect((warmup.element as HTMLInputElement).value).toBe('500');
    await warmup.setValue('50');
    await tick();
    await wrapper.get('[data-testid="new-run-form"]').trigger('submit');
    await tick();
    expect(engine.bridge.lastArgs('startTraining')).toMatchObject({ preset: 'fashion-mnist-small', overrides: { train: { learningRate: { warmupSteps: 50 } } } });
  });
});
