/** ImageNet32 npz: real zip archives (stored, deflated, and numpy's own), streamed into the cache. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { ProgressUpdate } from '../../../src-main/data';
import { imagenetArrays, int64Bytes, npyBytes, npzBytes, patternImage, tempDir } from './fixtures';

const NUMPY_FIXTURES = join(import.meta.dirname, 'numpy-npz');

/** HWC pixels of numpy fixture row i: planar value (31i + 7j + off) mod 256 at column j. */
function numpyRow(i: number, off: number): Uint8Array {
  const out = new Uint8Array(3072);
  for (let j = 0; j < 3072; j++) {
    const c = Math.floor(j / 1024);
    const p = j % 1024;
    out[p * 3 + c] = (31 * i + 7 * j + off) % 256;
  }
  return out;
}

describe('ImageNet32 npz', () => {
  it('reads stored and deflated archives, NHWC pixels and 0-based labels, across shards', async () => {
    const dir = tempDir('in32');
    const cacheDir = tempDir('in32-cache');
    const batches = [0, 1, 2].map((b) => Array.from({ length: 5 }, (_, i) => patternImage(b * 10 + i, 32, 32, 3)));
    const labels = [0, 1, 2].map((b) => Array.from({ length: 5 }, (_, i) => 1 + ((b * 5 + i) * 37) % 1000));
    // Batch 10 sorts after 2 numerically, not as text: the order is by the batch number.
    const names = ['train_data_batch_1.npz', 'train_data_batch_2.npz', 'train_data_batch_10.npz'];
    await mkdir(join(dir, 'Imagenet32_train_npz'), { recursive: true });
    for (let b = 0; b < 3; b++) {
      await writeFile(join(dir, 'Imagenet32_train_npz', names[b]!), npzBytes(imagenetArrays(batches[b]!, labels[b]!), b % 2 === 1));
    }
    const val = [patternImage(77, 32, 32, 3), patternImage(78, 32, 32, 3)];
    await writeFile(join(dir, 'val_data.npz'), npzBytes(imagenetArrays(val, [1000, 1]), true));
    const updates: ProgressUpdate[] = [];
    // 4 records per shard: the 15 training images span 4 shards.
    const options = { cacheDir, shardBytes: 4 * 3072, memoryBudgetBytes: 64 * 3072, onProgress: (u: ProgressUpdate) => updates.push(u) };
    const dataset = await openDataset(`imagenet32:${dir}`, options);
    expect(dataset.info).toMatchObject({ name: 'ImageNet 32×32', trainCount: 15, testCount: 2, shape: [32, 32, 3], bits: 8, warnings: [] });
    expect(dataset.memoryStats().streamedFromDisk).toBe(true);
    const all = batches.flat();
    const allLabels = labels.flat().map((l) => l - 1);
    for (let i = 0; i < 15; i++) {
      const example = await dataset.get('train', i);
      expect(example.data, `train ${i}`).toEqual(all[i]);
      expect(example.label).toBe(allLabels[i]);
    }
    expect((await dataset.get('test', 0)).label).toBe(999);
    expect((await dataset.get('test', 1)).data).toEqual(val[1]);
    const last = updates[updates.length - 1]!;
    expect(last.task).toBe('cache');
    expect(last.done).toBe(last.total);
    // A shuffled epoch sees every image once, with its label.
    const seen = new Map<number, number>();
    for await (const batch of dataset.batches('train', { batchSize: 4, seed: 3, shuffle: true, epochs: 1 })) {
      for (let k = 0; k < batch.n; k++) {
        const index = all.findIndex((img) => img.every((v, j) => v === batch.data[k * 3072 + j]));
        seen.set(index, batch.labels![k]!);
      }
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...Array(15).keys()]);
    for (const [index, label] of seen) expect(label).toBe(allLabels[index]);
    await dataset.close();

    // Opened again: the cache is reused (nothing decoded, so no cache progress).
    const again: ProgressUpdate[] = [];
    const reopened = await openDataset(`imagenet32:${dir}?bits=8`, { ...options, onProgress: (u) => again.push(u) });
    expect(reopened.info.trainCount).toBe(15);
    expect(again).toEqual([]);
    expect((await reopened.get('train', 14)).data).toEqual(all[14]);
    await reopened.close();
  });

  it('reads the files numpy itself wrote (savez and savez_compressed, zip64 headers)', async () => {
    const dataset = await openDataset(`imagenet32:${NUMPY_FIXTURES}?bits=5`, { cacheDir: tempDir('in32-cache') });
    expect(dataset.info).toMatchObject({ trainCount: 3, testCount: 2, bits: 5 });
    for (let i = 0; i < 3; i++) {
      const example = await dataset.get('train', i);
      expect(Array.from(example.data)).toEqual(Array.from(numpyRow(i, 0), (v) => v >> 3));
      expect(example.label).toBe([0, 499, 999][i]);
    }
    expect(Array.from((await dataset.get('test', 1)).data)).toEqual(Array.from(numpyRow(1, 100), (v) => v >> 3));
    expect((await dataset.get('test', 1)).label).toBe(41);
    await dataset.close();
  });

  it('names the file and the array when an npz lacks labels', async () => {
    const dir = tempDir('in32');
    const arrays = imagenetArrays([patternImage(1, 32, 32, 3)], [1]);
    const file = join(dir, 'train_data_batch_1.npz');
    await writeFile(file, npzBytes({ data: arrays['data']!, mean: npyBytes('<f8', [1], new Uint8Array(8)) }, false));
    await expect(openDataset(`imagenet32:${dir}`, { cacheDir: tempDir('in32-cache') })).rejects.toThrow(
      `${file} has no "labels" array (it holds: data, mean)`,
    );
  });

  it('refuses Fortran order, a wrong dtype, 0-based labels, a truncated entry and a non-zip', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['fortran', npzBytes({ data: npyBytes('|u1', [1, 3072], new Uint8Array(3072), true), labels: npyBytes('<i8', [1], int64Bytes([1])) }, false), /Fortran order/],
      ['dtype', npzBytes({ data: npyBytes('<f4', [1, 768], new Uint8Array(3072)), labels: npyBytes('<i8', [1], int64Bytes([1])) }, true), /dtype <f4; uint8 pixels are expected/],
      ['zero-based', npzBytes(imagenetArrays([patternImage(1, 32, 32, 3)], [0]), false), /label 0 at index 0; ImageNet32 labels are 1-based/],
      ['shape', npzBytes({ data: npyBytes('|u1', [1, 100], new Uint8Array(100)), labels: npyBytes('<i8', [1], int64Bytes([1])) }, false), /shape \(1, 100\)/],
      ['not-zip', new TextEncoder().encode('this is not an archive at all'), /is not an \.npz file/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const dir = tempDir(`in32-${name}`);
      const file = join(dir, 'val_data.npz');
      await writeFile(file, bytes);
      const error = await openDataset(`imagenet32:${dir}`, { cacheDir: tempDir('in32-cache') }).catch((e: unknown) => e as Error);
      expect(error, name).toBeInstanceOf(Error);
      expect((error as Error).message, name).toMatch(pattern);
      expect((error as Error).message, name).toContain(file);
    }
    // Cut inside the data entry of a stored archive: the entry ends early.
    const dir = tempDir('in32-cut');
    const whole = npzBytes(imagenetArrays([patternImage(1, 32, 32, 3), patternImage(2, 32, 32, 3)], [1, 2]), false);
    await writeFile(join(dir, 'val_data.npz'), whole.subarray(0, 4000));
    await expect(openDataset(`imagenet32:${dir}`, { cacheDir: tempDir('in32-cache') })).rejects.toThrow(/val_data\.npz.*truncated/);
  });

  it('names a folder without npz files', async () => {
    const dir = tempDir('in32');
    await expect(openDataset(`imagenet32:${dir}`, { cacheDir: tempDir('in32-cache') })).rejects.toThrow(`${dir} holds no ImageNet32 files`);
  });
});
