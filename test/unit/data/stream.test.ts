/** The seeded batch stream: order, resume, epochs, partial batches, budget. */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { Batch, BatchOptions, OpenedDataset, StreamPosition } from '../../../src-main/data';

/** Toy points are distinct floats: a point's x coordinate identifies it. */
async function toy(n = 100): Promise<OpenedDataset> {
  return openDataset(`toy:8gaussians?n=${n}`);
}

async function collect(dataset: OpenedDataset, options: BatchOptions, maxBatches = 1000): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of dataset.batches('train', options)) {
    out.push(batch);
    if (out.length >= maxBatches) break;
  }
  return out;
}

function xs(batches: Batch[]): number[] {
  return batches.flatMap((b) => Array.from({ length: b.n }, (_, k) => b.data[2 * k]!));
}

describe('batch stream', () => {
  it('gives the same order for the same seed, another for another seed, a permutation per epoch', async () => {
    const dataset = await toy(100);
    const options = { batchSize: 10, seed: 7, shuffle: true, epochs: 2 };
    const a = xs(await collect(dataset, options));
    const b = xs(await collect(dataset, options));
    const c = xs(await collect(dataset, { ...options, seed: 8 }));
    expect(a).toHaveLength(200);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const all = xs(await collect(dataset, { batchSize: 100, seed: 0, shuffle: false }));
    const sorted = [...all].sort((p, q) => p - q);
    expect([...a.slice(0, 100)].sort((p, q) => p - q)).toEqual(sorted);
    expect([...a.slice(100)].sort((p, q) => p - q)).toEqual(sorted);
    expect(a.slice(0, 100)).not.toEqual(a.slice(100));
    expect(a.slice(0, 100)).not.toEqual(all);
  });

  it('resumes exactly from any batch position, across epoch boundaries', async () => {
    const dataset = await toy(50);
    const options = { batchSize: 8, seed: 3, shuffle: true, dropLast: true };
    const full = await collect(dataset, options, 20);
    // 50 examples, batches of 8, last 2 dropped: 6 batches per epoch.
    expect(full.slice(0, 7).map((b) => b.position)).toEqual([
      { epoch: 0, offset: 8 }, { epoch: 0, offset: 16 }, { epoch: 0, offset: 24 }, { epoch: 0, offset: 32 },
      { epoch: 0, offset: 40 }, { epoch: 1, offset: 0 }, { epoch: 1, offset: 8 },
    ]);
    for (const cut of [1, 5, 6, 11]) {
      const start: StreamPosition = full[cut - 1]!.position;
      const resumed = await collect(dataset, { ...options, start }, 20 - cut);
      expect(xs(resumed), `resumed after batch ${cut}`).toEqual(xs(full.slice(cut)));
    }
  });

  it('keeps a final partial batch for evaluation, stops after the epochs asked, honours limit', async () => {
    const dataset = await toy(100);
    const test = await collect(dataset, { batchSize: 64, seed: 0, shuffle: false });
    expect(test.map((b) => b.n)).toEqual([64, 36]);
    expect(test[1]!.position).toEqual({ epoch: 1, offset: 0 });
    const limited = await collect(dataset, { batchSize: 30, seed: 0, shuffle: true, epochs: 3, limit: 40 });
    expect(limited.map((b) => b.n)).toEqual([30, 10, 30, 10, 30, 10]);
    const firstForty = xs(await collect(dataset, { batchSize: 40, seed: 0, shuffle: false, limit: 40 })).sort((p, q) => p - q);
    expect(xs(limited.slice(0, 2)).sort((p, q) => p - q)).toEqual(firstForty);
    // epochs counts from epoch 0: a stream resumed in epoch 2 of 3 ends with epoch 2.
    const tail = await collect(dataset, { batchSize: 30, seed: 0, shuffle: true, epochs: 3, limit: 40, start: { epoch: 2, offset: 30 } });
    expect(xs(tail)).toEqual(xs(limited.slice(5)));
  });

  it('refuses impossible requests with errors that say why', async () => {
    const dataset = await toy(20);
    await expect(collect(dataset, { batchSize: 64, seed: 0, shuffle: true, dropLast: true })).rejects.toThrow(
      /batch size 64 is larger than the 20 examples of the train split of toy:8gaussians\?n=20/,
    );
    await expect(collect(dataset, { batchSize: 0, seed: 0, shuffle: true })).rejects.toThrow(/batch size must be a positive integer/);
    await expect(collect(dataset, { batchSize: 4, seed: 0, shuffle: true, start: { epoch: -1, offset: 0 } })).rejects.toThrow(/epoch must be a non-negative integer/);
    const tiny = await openDataset('toy:rings?n=20', { memoryBudgetBytes: 100 });
    await expect(collect(tiny, { batchSize: 16, seed: 0, shuffle: true })).rejects.toThrow(/needs 128 bytes, more than the memory budget of 100 bytes/);
    await expect(dataset.get('test', 4)).resolves.toMatchObject({ shape: [2] });
    await expect(dataset.get('test', 500)).rejects.toThrow('index 500 is out of range: the test split of toy:8gaussians?n=20 has 5 examples');
  });

  it('reads ahead within the budget and releases everything when the consumer stops', async () => {
    const dataset = await toy(1000);
    const batchBytes = 10 * 2 * 4;
    for (const [budget, held] of [[batchBytes, 1], [2 * batchBytes, 2], [100 * batchBytes, 3]] as const) {
      const limited = await openDataset('toy:8gaussians?n=1000', { memoryBudgetBytes: budget });
      await collect(limited, { batchSize: 10, seed: 1, shuffle: true }, 30);
      expect(limited.memoryStats().peakBytes, `budget ${budget}`).toBe(held * batchBytes);
      expect(limited.memoryStats().heldBytes).toBe(0);
    }
    expect(dataset.memoryStats()).toMatchObject({ heldBytes: 0, streamedFromDisk: false, residentBytes: (1000 + 250) * 8 });
  });
});
