/** Mounts the real App (or a view) against a fake engine, with the fake chart factory and frames. */
import { type VueWrapper, flushPromises, mount } from '@vue/test-utils';
import type { Component } from 'vue';
import { ChartFactoryKey, FrameSchedulerKey } from '../../../src-renderer/src/chartKeys';
import { FakeEngine } from './fakeEngine';
import { ManualFrames, fakeChartFactory } from './fakeChart';
import { freshApp } from './setup';

export interface Mounted {
  wrapper: VueWrapper;
  engine: FakeEngine;
  frames: ManualFrames;
  charts: ReturnType<typeof fakeChartFactory>['charts'];
  /** Settles promises and runs one animation frame (charts redraw, attributes update). */
  tick(): Promise<void>;
}

export async function mountWithEngine(component: Component, engine = new FakeEngine()): Promise<Mounted> {
  const { pinia } = freshApp(engine);
  const { factory, charts } = fakeChartFactory();
  const frames = new ManualFrames();
  const wrapper = mount(component, {
    attachTo: document.body,
    global: { plugins: [pinia], provide: { [ChartFactoryKey as symbol]: factory, [FrameSchedulerKey as symbol]: frames } },
  });
  const tick = async (): Promise<void> => {
    await flushPromises();
    frames.frame();
    await flushPromises();
  };
  await tick();
  return { wrapper, engine, frames, charts, tick };
}
