/** Injection keys for the chart factory and frame scheduler (tests provide fakes). */
import type { InjectionKey } from 'vue';
import type { ChartFactory, FrameScheduler } from './lib/charts/types';

export const ChartFactoryKey: InjectionKey<ChartFactory> = Symbol('chartFactory');
export const FrameSchedulerKey: InjectionKey<FrameScheduler> = Symbol('frameScheduler');
