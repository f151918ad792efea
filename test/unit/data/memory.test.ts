/**
 * Streaming a folder dataset many times larger than the memory budget: the stream's own
 * accounting stays within the budget, and so does the process's live ArrayBuffer memory.
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import { smoothImage, tempDir, writeImage } from './fixtures';

// A real garbage collection before each reading, so dead batches do not count as live memory.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Live ArrayBuffer bytes: V8 frees dead backing stores on a background thread after a GC. */
async function liveBufferBytes(): Promise<number> {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 5));
  collect();
  return process.memoryUsage().arrayBuffers;
}

const COUNT = 300;
const SIDE = 64;
const IMAGE_BYTES = SIDE * SIDE * 3;
const BATCH = 8;

describe('bounded memory while streaming', () => {
  it.each(['raw', 'png'] as const)('streams 300 images of 64×64 (3.7 MB) three times through a budget of three batches (295 kB), %s records', async (encoding) => {
    const dir = tempDir('memory');
    for (let i = 0; i < COUNT; i++) {
      const pixels = smoothImage(i, SIDE, SIDE);
      // The first two bytes name the image, so every epoch can be checked to visit each once.
      pixels[0] = i % 256;
      pixels[1] = Math.floor(i / 256);
      await writeImage(join(dir, `img${String(i).padStart(3, '0')}.png`), pixels, SIDE, SIDE, 'png');
    }
    const budget = 3 * BATCH * IMAGE_BYTES;
    const dataset = await openDataset(`folder:${dir}?size=${SIDE}&testFraction=0.001`, { cacheDir: tempDir('memory-cache'), memoryBudgetBytes: budget, shardEncoding: encoding });
    const datasetBytes = dataset.info.trainCount * IMAGE_BYTES;
    expect(dataset.info.trainCount).toBe(COUNT);
    expect(datasetBytes).toBeGreaterThan(12 * budget);
    expect(dataset.memoryStats()).toMatchObject({ streamedFromDisk: true, residentBytes: 0, heldBytes: 0 });

    const baseline = await liveBufferBytes();
    let maxLive = 0;
    let maxHeld = 0;
    const visits: number[][] = [[], [], []];
    let batches = 0;
    for await (const batch of dataset.batches('train', { batchSize: BATCH, seed: 11, shuffle: true, epochs: 3, dropLast: false })) {
      maxHeld = Math.max(maxHeld, dataset.memoryStats().heldBytes);
      const epoch = batch.position.offset === 0 ? batch.position.epoch - 1 : batch.position.epoch;
      for (let k = 0; k < batch.n; k++) visits[epoch]!.push(batch.data[k * IMAGE_BYTES]! + 256 * batch.data[k * IMAGE_BYTES + 1]!);
      if (++batches % 10 === 0) {
        maxLive = Math.max(maxLive, (await liveBufferBytes()) - baseline);
      }
    }
    const stats = dataset.memoryStats();
    expect(stats.peakBytes).toBeLessThanOrEqual(budget);
    expect(maxHeld).toBeLessThanOrEqual(budget);
    expect(stats.heldBytes).toBe(0);
    for (const epoch of visits) expect([...epoch].sort((a, b) => a - b)).toEqual([...Array(COUNT).keys()]);
    // Live buffer memory grows by the budget plus small change, never towards the 3.7 MB a
    // load into memory would take.
    expect(maxLive).toBeLessThan(budget + 512 * 1024);
    expect(maxLive).toBeLessThan(datasetBytes / 4);
    await dataset.close();
  });
});
