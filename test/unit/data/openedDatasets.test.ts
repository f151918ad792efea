/** The engine's opened datasets (LRU): one open per spec, failures not kept, oldest evicted. */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { OpenOptions } from '../../../src-main/data';
import { OpenedDatasets } from '../../../src-main/data/openedDatasets';
import { tempDir } from './fixtures';

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
});
