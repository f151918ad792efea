// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import { THEME_KEY } from '../../src-renderer/src/stores/ui';
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

describe('App shell', () => {
  it('shows the engine backend and switches views from the nav and with Alt+number', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, tick } = mounted;
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('wasm');
    expect(wrapper.find('[data-testid="new-run-form"]').exists()).toBe(true);
    await wrapper.get('[data-testid="nav-sampler"]').trigger('click');
    await tick();
    expect(wrapper.get('[data-testid="nav-sampler"]').attributes('aria-current')).toBe('page');
    expect(wrapper.text()).toContain('The sampler needs a trained model');
    expect(window.location.hash).toBe('#/sampler');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '4', altKey: true }));
    await tick();
    expect(wrapper.get('[data-testid="nav-toy"]').attributes('aria-current')).toBe('page');
  });

  it('toggles dark and light themes and remembers the choice', async () => {
    localStorage.setItem(THEME_KEY, 'dark');
    mounted = await mountWithEngine(App);
    expect(document.documentElement.dataset['theme']).toBe('dark');
    await mounted.wrapper.get('[data-testid="theme-toggle"]').trigger('click');
    await mounted.tick();
    expect(document.documentElement.dataset['theme']).toBe('light');
    expect(localStorage.getItem(THEME_KEY)).toBe('light');
  });

  it('shows engine errors as dismissable notices, with a restart for a lost engine', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    engine.bridge.emit('error', { code: 'ENGINE_CRASHED', message: 'engine process exited (signal SIGSEGV)', engineLost: true });
    await tick();
    const notice = wrapper.get('[data-testid="notice"]');
    expect(notice.text()).toContain('engine process exited (signal SIGSEGV)');
    expect(notice.text()).toContain('Restart engine');
    const listsBefore = engine.bridge.count('listRuns');
    await notice.get('button.primary').trigger('click');
    await tick();
    expect(engine.bridge.count('restartEngine')).toBe(1);
    expect(engine.bridge.count('listRuns')).toBe(listsBefore + 1); // the new engine's runs
    expect(wrapper.find('[data-testid="notice"]').exists()).toBe(false);

    engine.bridge.emit('error', { code: 'FAILED', message: 'checkpoint write failed: disk full', engineLost: false });
    await tick();
    await wrapper.get('[data-testid="notice"] button.close').trigger('click');
    await tick();
    expect(wrapper.find('[data-testid="notice"]').exists()).toBe(false);
  });

  it('keeps the engine log, warnings counted', async () => {
    mounted = await mountWithEngine(App);
    const { wrapper, engine, tick } = mounted;
    engine.bridge.emit('log', { level: 'warn', source: 'data', message: 'skipped broken.png: not an image' });
    engine.bridge.emit('log', { level: 'debug', source: 'train', message: 'step timing' });
    await tick();
    const panel = wrapper.get('[data-testid="log-panel"]');
    expect(panel.text()).toContain('(1, 1 warning)');
    expect(panel.text()).toContain('skipped broken.png: not an image');
    expect(panel.text()).not.toContain('step timing');
  });

  it('says so when the engine cannot be reached instead of a blank screen', async () => {
    const engine = new FakeEngine();
    engine.bridge.handlers.getBackendInfo = () => {
      throw new Error('engine process is not running');
    };
    mounted = await mountWithEngine(App, engine);
    expect(mounted.wrapper.get('[data-testid="backend"]').text()).toBe('backend unknown');
    expect(mounted.wrapper.get('[data-testid="notice"]').text()).toContain('Could not reach the engine: engine process is not running');
  });

  it('restores the live run and its charts after a reload', async () => {
    const engine = new FakeEngine();
    const run = engine.addRun('toy2d', 200, 'running');
    mounted = await mountWithEngine(App, engine);
    const { wrapper, tick } = mounted;
    await tick();
    expect(wrapper.get('[data-testid="run-step"]').text()).toMatch(/^200 \/ 1\u202f500$/);
    const nll = wrapper.get('[data-testid="chart-nll"]');
    expect(Number(nll.attributes('data-point-count'))).toBeGreaterThan(200);
    const logdet = wrapper.get('[data-testid="chart-logdet"]');
    expect(Number(logdet.attributes('data-series-count'))).toBe(run.layers.length);
    expect(wrapper.findAll('[data-testid="logdet-chip"]')).toHaveLength(run.layers.length);
    engine.tick(run.summary.runId, 10);
    await new Promise((resolve) => setTimeout(resolve, 300)); // progress and chart counts refresh a few times a second
    await tick();
    expect(wrapper.get('[data-testid="run-step"]').text()).toMatch(/^210 /);
    expect(Number(wrapper.get('[data-testid="chart-nll"]').attributes('data-point-count'))).toBeGreaterThan(210);
  });
});
