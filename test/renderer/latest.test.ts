// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLatestRunner } from '../../src-renderer/src/lib/latest';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A task whose calls the test answers one by one, in any order. */
function scriptedTask() {
  const calls: { args: number; answer: Deferred<string> }[] = [];
  const task = (args: number): Promise<string> => {
    const answer = deferred<string>();
    calls.push({ args, answer });
    return answer.promise;
  };
  return { task, calls };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createLatestRunner', () => {
  it('debounces a burst of requests into one call with the last arguments', () => {
    const { task, calls } = scriptedTask();
    const runner = createLatestRunner(task, { onResult: () => {}, onError: () => {} }, 100);
    for (let t = 1; t <= 10; t++) {
      runner.request(t);
      vi.advanceTimersByTime(30);
    }
    expect(calls).toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(calls.map((c) => c.args)).toEqual([10]);
  });

  it('keeps one request in flight and sends only the newest waiting arguments after it', async () => {
    const { task, calls } = scriptedTask();
    const results: string[] = [];
    const runner = createLatestRunner(task, { onResult: (r) => results.push(r), onError: () => {} }, 0);
    runner.now(1);
    runner.now(2);
    runner.now(3);
    expect(calls.map((c) => c.args)).toEqual([1]);
    calls[0]!.answer.resolve('one');
    await vi.runAllTimersAsync();
    expect(calls.map((c) => c.args)).toEqual([1, 3]);
    calls[1]!.answer.resolve('three');
    await vi.runAllTimersAsync();
    expect(results).toEqual(['one', 'three']);
  });

  it('ignores what was in flight when cancelled', async () => {
    const { task, calls } = scriptedTask();
    const results: string[] = [];
    const busy: boolean[] = [];
    const runner = createLatestRunner(task, { onResult: (r) => results.push(r), onError: () => {}, onBusyChange: (b) => busy.push(b) }, 0);
    runner.now(1);
    runner.cancel();
    runner.now(2);
    calls[1]!.answer.resolve('two');
    await vi.runAllTimersAsync();
    calls[0]!.answer.resolve('stale one');
    await vi.runAllTimersAsync();
    expect(results).toEqual(['two']);
    expect(busy.at(-1)).toBe(false);
  });

  it('reports errors through onError and stays usable', async () => {
    const { task, calls } = scriptedTask();
    const errors: unknown[] = [];
    const results: string[] = [];
    const runner = createLatestRunner(task, { onResult: (r) => results.push(r), onError: (e) => errors.push(e) }, 0);
    runner.now(1);
    calls[0]!.answer.reject(new Error('engine says no'));
    await vi.runAllTimersAsync();
    runner.now(2);
    calls[1]!.answer.resolve('fine');
    await vi.runAllTimersAsync();
    expect((errors[0] as Error).message).toBe('engine says no');
    expect(results).toEqual(['fine']);
  });

  it('is busy from the first request until the last answer', async () => {
    const { task, calls } = scriptedTask();
    const busy: boolean[] = [];
    const runner = createLatestRunner(task, { onResult: () => {}, onError: () => {}, onBusyChange: (b) => busy.push(b) }, 50);
    runner.request(1);
    expect(busy).toEqual([true]);
    vi.advanceTimersByTime(50);
    runner.request(2); // arrives while 1 is in flight
    calls[0]!.answer.resolve('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(busy).toEqual([true]); // 2 still waiting in its debounce
    vi.advanceTimersByTime(50);
    calls[1]!.answer.resolve('b');
    await vi.runAllTimersAsync();
    expect(busy).toEqual([true, false]);
  });
});
