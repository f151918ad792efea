/** IDX loading: the real Fashion-MNIST files, IDX files written here, and broken ones. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError, openDataset } from '../../../src-main/data';
import { idxBytes, patternImage, tempDir, writeIdxFolder } from './fixtures';

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('Fashion-MNIST (the real files of the Debian package)', () => {
  it.skipIf(!existsSync(FASHION))('has 60000/10000 images of 28×28×1 and exactly 6000/1000 of each class', async () => {
    const dataset = await openDataset(`fashion-mnist:${FASHION}`);
    expect(dataset.info).toMatchObject({ name: 'Fashion-MNIST', trainCount: 60000, testCount: 10000, shape: [28, 28, 1], bits: 8, warnings: [] });
    for (const [split, perClass] of [['train', 6000], ['test', 1000]] as const) {
      const histogram = new Array<number>(10).fill(0);
      let seen = 0;
      for await (const batch of dataset.batches(split, { batchSize: 5000, seed: 0, shuffle: false })) {
        for (const label of batch.labels!) histogram[label]! += 1;
        seen += batch.n;
      }
      expect(seen).toBe(perClass * 10);
      expect(histogram).toEqual(new Array(10).fill(perClass));
    }
    // Fashion-MNIST's first training image is an ankle boot (class 9) on a black border.
    const first = await dataset.get('train', 0);
    expect(first.label).toBe(9);
    expect(first.data[0]).toBe(0);
    expect(Math.max(...first.data)).toBeGreaterThan(200);
  });

  it.skipIf(!existsSync(FASHION))('quantises to n bits with k >> (8 − n)', async () => {
    const full = await openDataset(`fashion-mnist:${FASHION}`);
    const five = await openDataset(`fashion-mnist:${FASHION}?bits=5`);
    expect(five.info.bits).toBe(5);
    const a = await full.get('test', 123);
    const b = await five.get('test', 123);
    expect(Array.from(b.data)).toEqual(Array.from(a.data, (v) => v >> 3));
    expect(b.bits).toBe(5);
  });
});

describe('IDX files written in the format', () => {
  const train = { images: [0, 1, 2, 3, 4].map((i) => patternImage(i, 6, 6, 1)), labels: [3, 1, 4, 1, 5] };
  const test = { images: [9, 8].map((i) => patternImage(i, 6, 6, 1)), labels: [9, 2] };

  for (const gzip of [true, false]) {
    it(`round-trips pixels and labels (${gzip ? 'gzip' : 'raw'})`, async () => {
      const dir = tempDir('idx');
      await writeIdxFolder(dir, train, test, 6, gzip);
      const dataset = await openDataset(`mnist:${dir}`);
      expect(dataset.info).toMatchObject({ name: 'MNIST', trainCount: 5, testCount: 2, shape: [6, 6, 1] });
      for (let i = 0; i < 5; i++) {
        const example = await dataset.get('train', i);
        expect(example.data).toEqual(train.images[i]);
        expect(example.label).toBe(train.labels[i]);
      }
      expect((await dataset.get('test', 1)).data).toEqual(test.images[1]);
    });
  }

  it('names the missing folder', async () => {
    const missing = join(tempDir('idx'), 'nope');
    await expect(openDataset(`fashion-mnist:${missing}`)).rejects.toThrow(new RegExp(`${missing}.*does not exist`));
  });

  it('names the missing file', async () => {
    const dir = tempDir('idx');
    await expect(openDataset(`mnist:${dir}`)).rejects.toThrow(/has no train images file.*train-images-idx3-ubyte/);
  });

  it('refuses a truncated images file, naming it', async () => {
    const dir = tempDir('idx');
    await writeIdxFolder(dir, train, test, 6, false);
    const file = join(dir, 'train-images-idx3-ubyte');
    const whole = idxBytes([5, 6, 6], new Uint8Array(5 * 36));
    await writeFile(file, whole.subarray(0, whole.length - 10));
    const error = await openDataset(`mnist:${dir}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain(file);
    expect((error as DataError).message).toMatch(/truncated.*5×6×6 = 180 bytes.*170/);
    expect((error as DataError).file).toBe(file);
  });

  it('refuses a truncated gzip stream, naming the file', async () => {
    const dir = tempDir('idx');
    await writeIdxFolder(dir, train, test, 6, true);
    const file = join(dir, 't10k-labels-idx1-ubyte.gz');
    const gz = gzipSync(idxBytes([2], Uint8Array.from([9, 2])));
    await writeFile(file, gz.subarray(0, gz.length - 6));
    await expect(openDataset(`mnist:${dir}`)).rejects.toThrow(new RegExp(`${file} is not valid gzip`));
  });

  it('refuses a wrong magic number (labels where images belong), naming the file', async () => {
    const dir = tempDir('idx');
    await writeIdxFolder(dir, train, test, 6, false);
    const file = join(dir, 't10k-images-idx3-ubyte');
    await writeFile(file, idxBytes([2], Uint8Array.from([9, 2])));
    await expect(openDataset(`mnist:${dir}`)).rejects.toThrow(`${file} has IDX magic number 0x00000801, expected 0x00000803`);
  });

  it('refuses image and label counts that disagree', async () => {
    const dir = tempDir('idx');
    await writeIdxFolder(dir, train, { images: test.images, labels: [1, 2, 3] }, 6, false);
    await expect(openDataset(`mnist:${dir}`)).rejects.toThrow(/holds 3 labels but .*t10k-images-idx3-ubyte holds 2 images/);
  });
});
