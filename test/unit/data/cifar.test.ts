/** CIFAR-10 binary batches written in the exact format: planar → NHWC, labels, bad files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import { cifarBatch, patternImage, tempDir } from './fixtures';

async function writeCifar(dir: string, perBatch: number): Promise<{ train: Uint8Array[]; trainLabels: number[]; test: Uint8Array[]; testLabels: number[] }> {
  await mkdir(dir, { recursive: true });
  const train: Uint8Array[] = [];
  const trainLabels: number[] = [];
  for (let b = 1; b <= 5; b++) {
    const images = Array.from({ length: perBatch }, (_, i) => patternImage(b * 100 + i, 32, 32, 3));
    const labels = images.map((_, i) => (b + i) % 10);
    await writeFile(join(dir, `data_batch_${b}.bin`), cifarBatch(images, labels));
    train.push(...images);
    trainLabels.push(...labels);
  }
  const test = Array.from({ length: perBatch }, (_, i) => patternImage(900 + i, 32, 32, 3));
  const testLabels = test.map((_, i) => 9 - (i % 10));
  await writeFile(join(dir, 'test_batch.bin'), cifarBatch(test, testLabels));
  return { train, trainLabels, test, testLabels };
}

describe('CIFAR-10 binary', () => {
  it('converts planar records to NHWC exactly, with labels, found in cifar-10-batches-bin/', async () => {
    const root = tempDir('cifar');
    const written = await writeCifar(join(root, 'cifar-10-batches-bin'), 4);
    const dataset = await openDataset(`cifar10:${root}`);
    expect(dataset.info).toMatchObject({ name: 'CIFAR-10', trainCount: 20, testCount: 4, shape: [32, 32, 3], bits: 8 });
    // Batches of 10 records are warned about (real batches hold 10000), one warning per file.
    expect(dataset.info.warnings).toHaveLength(6);
    expect(dataset.info.warnings[0]).toMatch(/data_batch_1\.bin has 4 records; CIFAR-10 batches have 10000/);
    for (const i of [0, 7, 19]) {
      const example = await dataset.get('train', i);
      expect(example.data).toEqual(written.train[i]);
      expect(example.label).toBe(written.trainLabels[i]);
    }
    // Pixel (row 0, col 1) green channel of test image 2 is planar byte 1024 + 1.
    const planarGreen = patternImage(902, 32, 32, 3)[1 * 3 + 1];
    expect((await dataset.get('test', 2)).data[1 * 3 + 1]).toBe(planarGreen);
    const labels: number[] = [];
    for await (const batch of dataset.batches('test', { batchSize: 3, seed: 0, shuffle: false })) labels.push(...batch.labels!);
    expect(labels).toEqual(written.testLabels);
  });

  it('refuses a truncated batch file, naming it', async () => {
    const dir = tempDir('cifar');
    await writeCifar(dir, 2);
    const file = join(dir, 'data_batch_3.bin');
    await writeFile(file, cifarBatch([patternImage(1, 32, 32, 3), patternImage(2, 32, 32, 3)], [1, 2]).subarray(0, 3073 + 1000));
    await expect(openDataset(`cifar10:${dir}`)).rejects.toThrow(`${file} is 4073 bytes, not a whole number of 3073-byte CIFAR-10 records (1 complete, 1000 bytes left over)`);
  });

  it('warns about a missing batch file and loads the rest', async () => {
    const dir = tempDir('cifar');
    await writeCifar(dir, 2);
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'data_batch_5.bin'));
    const dataset = await openDataset(`cifar10:${dir}`);
    expect(dataset.info.trainCount).toBe(8);
    expect(dataset.info.warnings.some((w) => w.includes(join(dir, 'data_batch_5.bin')) && w.includes('missing'))).toBe(true);
  });

  it('refuses a label outside 0..9 and a folder without batches', async () => {
    const dir = tempDir('cifar');
    await writeCifar(dir, 2);
    await writeFile(join(dir, 'test_batch.bin'), cifarBatch([patternImage(1, 32, 32, 3)], [12]));
    await expect(openDataset(`cifar10:${dir}`)).rejects.toThrow(/test_batch\.bin: record 0 has label 12/);
    const empty = tempDir('cifar');
    await expect(openDataset(`cifar10:${empty}`)).rejects.toThrow(new RegExp(`${empty} holds no CIFAR-10 binary batches`));
  });
});
