/** The engine's opened datasets (LRU): one open per spec, failures not kept, oldest evicted. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { OpenOptions } from '../../../src-main/data';
import { OpenedDatasets } from '../../../src-main/data/openedDatasets';
import { smoothImage, tempDir, writeImage } from './fixtures';

describe('opened datasets (LRU)', () => {
  it('shares one open per spec, retries failed opens, evicts the least recently used', async () => {
    const opened: string[] = [];
    const registry = new OpenedDatasets(2, (spec: string, options: OpenOptions) => {
      opened.push(spec);
      return openDataset(spec, options);
    });
    const [a, b] = await Promise.all([registry.open('toy:rings?n=100'), registry.open(' toy:rings?n=100 ')]);
    expect(a).toBe(b);
    const missing = `folder:${tempDir('registry')}/gone`;
    await expect(registry.open(missing)).rejects.toThrow(/does not exist/);
    await expect(registry.open(missing)).rejects.toThrow(/does not exist/);
    expect(opened.filter((s) => s === missing)).toHaveLength(2);
    await registry.open('toy:pinwheel?n=100');
    await registry.open('toy:rings?n=100');
    await registry.open('toy:2spirals?n=100');
    // Capacity 2: pinwheel was least recently used and is gone; rings stayed.
    expect(registry.size).toBe(2);
    expect(await registry.open('toy:rings?n=100')).toBe(a);
    await registry.open('toy:pinwheel?n=100');
    expect(opened.filter((s) => s === 'toy:pinwheel?n=100')).toHaveLength(2);
  });

  it('aborts a shared open only when every caller with a signal gave up', async () => {
    const dir = tempDir('lru-folder');
    for (let i = 0; i < 40; i++) await writeImage(join(dir, `f${String(i).padStart(2, '0')}.png`), smoothImage(i, 8, 8), 8, 8, 'png');
    const signals: AbortSignal[] = [];
    const lru = new OpenedDatasets(4, (spec: string, options: OpenOptions) => {
      if (options.signal) signals.push(options.signal);
      return openDataset(spec, { ...options, cacheDir: tempDir('lru-cache') });
    });
    const spec = `folder:${dir}?testFraction=0.001`;
    const first = new AbortController();
    const second = new AbortController();
    const a = lru.open(spec, { signal: first.signal });
    const b = lru.open(spec, { signal: second.signal });
    first.abort();
    await expect(a).rejects.toMatchObject({ name: 'AbortError' });
    // The other caller still waits: the shared open goes on and completes.
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    expect((await b).info.trainCount).toBe(40);

    const other = `folder:${dir}?testFraction=0.5`;
    const c = new AbortController();
    const d = new AbortController();
    const pc = lru.open(other, { signal: c.signal });
    const pd = lru.open(other, { signal: d.signal });
    c.abort();
    d.abort();
    await expect(pc).rejects.toMatchObject({ name: 'AbortError' });
    await expect(pd).rejects.toMatchObject({ name: 'AbortError' });
    // Both gave up: the open itself was aborted and forgotten, so the next caller starts afresh.
    expect(signals[1]!.aborted).toBe(true);
    const again = await lru.open(other);
    expect(signals).toHaveLength(3);
    expect(again.info.trainCount + again.info.testCount).toBe(40);
  });
});
