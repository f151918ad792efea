/**
 * initBackend's start-once contract inside one process: a start that fails (a forced backend
 * that is not installed) leaves nothing half-made, so the next call can start another; calls
 * made together share one start; a bad FLOWSTUDIO_THREADS is refused by name.
 */
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend } from '../../../src-main/engine/backend';
import { requestedThreads } from '../../../src-main/engine/backends/wasm';
import { tf } from '../../../src-main/engine/tf';

const savedThreads = process.env['FLOWSTUDIO_THREADS'];
afterEach(() => {
  if (savedThreads === undefined) delete process.env['FLOWSTUDIO_THREADS'];
  else process.env['FLOWSTUDIO_THREADS'] = savedThreads;
});

describe('initBackend', () => {
  it('refuses a bad FLOWSTUDIO_THREADS by name, then a failed start can be retried, and concurrent calls share one start', async () => {
    for (const bad of ['0', '-2', '1.5', 'many']) {
      expect(() => requestedThreads(bad)).toThrow(`FLOWSTUDIO_THREADS must be a whole number ≥ 1 or "all", got "${bad}"`);
    }
    // The default is one thread (measured: backends/wasm.ts, bench/RESULTS.md); `all` is every core.
    expect(requestedThreads(undefined)).toBe(1);
    expect(requestedThreads('3')).toBe(3);
    expect(requestedThreads('all')).toBe(availableParallelism());
    process.env['FLOWSTUDIO_THREADS'] = 'lots';
    await expect(initBackend('cpu')).rejects.toThrow('FLOWSTUDIO_THREADS');
    delete process.env['FLOWSTUDIO_THREADS'];

    // tfjs-node is not a dependency: forcing it fails, naming both native packages.
    await expect(initBackend('tensorflow')).rejects.toThrow(/no tfjs backend could start: @tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed/);
    expect(() => backendInfo()).toThrow('backend not initialised');

    const infos = await Promise.all([initBackend('cpu'), initBackend('cpu'), initBackend('cpu'), initBackend('cpu')]);
    expect(infos.map((i) => i.active)).toEqual(['cpu', 'cpu', 'cpu', 'cpu']);
    expect(infos[0]!.reason).toBe('forced by FLOWSTUDIO_BACKEND=cpu');
    expect(tf.getBackend()).toBe('cpu');
    // Started: later calls get the first choice whatever they ask for.
    expect((await initBackend('wasm')).active).toBe('cpu');
  });
});
