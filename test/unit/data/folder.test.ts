/** Image folders: real PNG/JPEG/WebP files encoded by sharp, the shard cache, splits, bad files. */
import { readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { OpenedDataset, ProgressUpdate } from '../../../src-main/data';
import { smoothImage, tempDir, writeImage } from './fixtures';

/** An 8×8 image whose every byte is `id`: an example's first byte says which file it was. */
function solid(id: number, side = 8): Uint8Array {
  return new Uint8Array(side * side * 3).fill(id);
}

async function idsOf(dataset: OpenedDataset, split: 'train' | 'test'): Promise<number[]> {
  const ids: number[] = [];
  for await (const batch of dataset.batches(split, { batchSize: 7, seed: 0, shuffle: false })) {
    for (let k = 0; k < batch.n; k++) ids.push(batch.data[k * batch.data.length / batch.n]!);
  }
  return ids;
}

describe('image folders', () => {
  it('decodes PNG and lossless WebP exactly and JPEG within codec tolerance, in name order', async () => {
    const dir = tempDir('folder');
    const images = [0, 1, 2].map((i) => smoothImage(i, 16, 16));
    await writeImage(join(dir, 'a.png'), images[0]!, 16, 16, 'png');
    await writeImage(join(dir, 'b.webp'), images[1]!, 16, 16, 'webp');
    await writeImage(join(dir, 'sub', 'c.jpg'), images[2]!, 16, 16, 'jpeg');
    const dataset = await openDataset(`folder:${dir}?size=16&testFraction=0.001`, { cacheDir: tempDir('cache') });
    expect(dataset.info).toMatchObject({ format: 'folder', trainCount: 3, testCount: 0, shape: [16, 16, 3], bits: 8 });
    expect((await dataset.get('train', 0)).data).toEqual(images[0]);
    expect((await dataset.get('train', 1)).data).toEqual(images[1]);
    const jpeg = (await dataset.get('train', 2)).data;
    const maxError = Math.max(...Array.from(jpeg, (v, i) => Math.abs(v - images[2]![i]!)));
    const meanError = Array.from(jpeg, (v, i) => Math.abs(v - images[2]![i]!)).reduce((a, b) => a + b, 0) / jpeg.length;
    expect(maxError).toBeLessThanOrEqual(24);
    expect(meanError).toBeLessThan(3);
    expect(dataset.info.warnings.some((w) => w.includes('test split is empty'))).toBe(true);
    await dataset.close();
  });

  it('skips a corrupt JPEG and a non-image file with warnings naming them; the rest load', async () => {
    const dir = tempDir('folder');
    for (let i = 0; i < 5; i++) await writeImage(join(dir, `img${i}.jpg`), smoothImage(i, 12, 12), 12, 12, 'jpeg');
    const { readFile } = await import('node:fs/promises');
    const good = await readFile(join(dir, 'img2.jpg'));
    await writeFile(join(dir, 'img2.jpg'), good.subarray(0, Math.floor(good.length / 2)));
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    await writeFile(join(dir, 'fake.png'), 'text pretending to be a PNG');
    await writeFile(join(dir, '.DS_Store'), 'finder metadata');
    const warnings: string[] = [];
    const dataset = await openDataset(`folder:${dir}?size=12&testFraction=0.001`, { cacheDir: tempDir('cache'), onWarning: (w) => warnings.push(w) });
    expect(dataset.info.trainCount + dataset.info.testCount).toBe(4);
    const named = (file: string): string | undefined => dataset.info.warnings.find((w) => w.startsWith(join(dir, file)));
    expect(named('img2.jpg')).toMatch(/skipped, cannot be decoded as an image: .*(premature end|corrupt)/i);
    expect(named('notes.txt')).toMatch(/skipped, not an image file \(extension "\.txt"\)/);
    expect(named('fake.png')).toMatch(/skipped, cannot be decoded as an image/);
    expect(dataset.info.warnings.some((w) => w.includes('.DS_Store'))).toBe(false);
    // The same warnings arrived through onWarning as they were met.
    for (const file of ['img2.jpg', 'notes.txt', 'fake.png']) expect(warnings.some((w) => w.startsWith(join(dir, file)))).toBe(true);
    await dataset.close();
  });

  it('centre-crops and resizes mixed sizes to the target', async () => {
    const dir = tempDir('folder');
    // 48×16: left third red, centre green, right blue. The centre square is pure green.
    const wide = new Uint8Array(48 * 16 * 3);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 48; x++) wide[(y * 48 + x) * 3 + Math.floor(x / 16)] = 200;
    await writeImage(join(dir, 'a-wide.png'), wide, 48, 16, 'png');
    await writeImage(join(dir, 'b-big.png'), smoothImage(1, 40, 40), 40, 40, 'png');
    await writeImage(join(dir, 'c-small.webp'), smoothImage(2, 10, 6), 6, 10, 'webp');
    const grey = new Uint8Array(16 * 16).fill(90);
    await writeImage(join(dir, 'd-grey.png'), grey, 16, 16, 'png', 1);
    const dataset = await openDataset(`folder:${dir}?size=16&testFraction=0.001`, { cacheDir: tempDir('cache') });
    expect(dataset.info.trainCount).toBe(4);
    const cropped = (await dataset.get('train', 0)).data;
    expect(cropped.length).toBe(16 * 16 * 3);
    for (let p = 0; p < 256; p++) expect([cropped[p * 3], cropped[p * 3 + 1], cropped[p * 3 + 2]]).toEqual([0, 200, 0]);
    expect((await dataset.get('train', 1)).data.length).toBe(768);
    // Greyscale becomes three equal channels.
    expect(Array.from((await dataset.get('train', 3)).data.subarray(0, 6))).toEqual([90, 90, 90, 90, 90, 90]);
    await dataset.close();
  });

  it('quantises to n bits and defaults the size to the first image', async () => {
    const dir = tempDir('folder');
    const image = smoothImage(3, 10, 10);
    await writeImage(join(dir, 'x.png'), image, 10, 10, 'png');
    const dataset = await openDataset(`folder:${dir}?bits=5&testFraction=0.001`, { cacheDir: tempDir('cache') });
    expect(dataset.info).toMatchObject({ shape: [10, 10, 3], bits: 5 });
    const example = await dataset.get('train', 0);
    expect(Array.from(example.data)).toEqual(Array.from(image, (v) => v >> 3));
    expect(example.bits).toBe(5);
    await dataset.close();
  });

  it('refuses a missing folder, an empty folder and a folder without images, naming them', async () => {
    const cacheDir = tempDir('cache');
    const missing = join(tempDir('folder'), 'celeba');
    await expect(openDataset(`folder:${missing}`, { cacheDir })).rejects.toThrow(`image folder ${missing} does not exist`);
    const empty = tempDir('folder');
    await expect(openDataset(`folder:${empty}`, { cacheDir })).rejects.toThrow(`image folder ${empty} contains no images`);
    const textOnly = tempDir('folder');
    await writeFile(join(textOnly, 'readme.md'), '# hi');
    await expect(openDataset(`folder:${textOnly}`, { cacheDir })).rejects.toThrow(/contains no images .*\(1 other file skipped\)/);
    const broken = tempDir('folder');
    await writeFile(join(broken, 'a.jpg'), 'nope');
    await writeFile(join(broken, 'b.jpg'), 'nope');
    await expect(openDataset(`folder:${broken}?size=8`, { cacheDir })).rejects.toThrow(/none of the 2 images in .* could be decoded; first problem: .*a\.jpg/);
  });

  it('keeps every file in its split when files are added (split by a hash of the name)', async () => {
    const dir = tempDir('folder');
    const cacheDir = tempDir('cache');
    for (let id = 1; id <= 40; id++) await writeImage(join(dir, `f${id}.png`), solid(id), 8, 8, 'png');
    const before = await openDataset(`folder:${dir}?testFraction=0.3`, { cacheDir });
    const train = await idsOf(before, 'train');
    const test = await idsOf(before, 'test');
    expect([...train, ...test].sort((a, b) => a - b)).toEqual([...Array(40).keys()].map((i) => i + 1));
    // 30% of 40 by a hash: not exact, but far from 0 and from 40.
    expect(test.length).toBeGreaterThan(4);
    expect(test.length).toBeLessThan(24);
    await before.close();
    for (let id = 41; id <= 60; id++) await writeImage(join(dir, `f${id}.png`), solid(id), 8, 8, 'png');
    const after = await openDataset(`folder:${dir}?testFraction=0.3`, { cacheDir });
    const testAfter = await idsOf(after, 'test');
    const trainAfter = await idsOf(after, 'train');
    expect(after.info.trainCount + after.info.testCount).toBe(60);
    for (const id of test) expect(testAfter).toContain(id);
    for (const id of train) expect(trainAfter).toContain(id);
    await after.close();
  });

  it('reuses its cache, rebuilds when a file changes and drops the old cache', async () => {
    const dir = tempDir('folder');
    const cacheDir = tempDir('cache');
    for (let id = 1; id <= 6; id++) await writeImage(join(dir, `f${id}.png`), solid(id), 8, 8, 'png');
    const spec = `folder:${dir}?testFraction=0.001`;
    const tasks = async (): Promise<{ ds: OpenedDataset; tasks: string[] }> => {
      const updates: ProgressUpdate[] = [];
      const ds = await openDataset(spec, { cacheDir, onProgress: (u) => updates.push(u) });
      return { ds, tasks: [...new Set(updates.map((u) => u.task))] };
    };
    const first = await tasks();
    expect(first.tasks).toEqual(['scan', 'cache']);
    await first.ds.close();
    const second = await tasks();
    expect(second.tasks).toEqual(['scan']);
    await second.ds.close();
    await writeImage(join(dir, 'f3.png'), solid(33), 8, 8, 'png');
    await utimes(join(dir, 'f3.png'), new Date(), new Date(Date.now() + 5000));
    const third = await tasks();
    expect(third.tasks).toEqual(['scan', 'cache']);
    expect(await idsOf(third.ds, 'train')).toEqual([1, 2, 33, 4, 5, 6]);
    await third.ds.close();
    const parents = await readdir(cacheDir);
    expect(parents).toHaveLength(1);
    expect(await readdir(join(cacheDir, parents[0]!))).toHaveLength(1);
  });

  it('an interrupted build leaves no usable manifest; the next open resumes and gives the same data', async () => {
    const dir = tempDir('folder');
    for (let id = 1; id <= 24; id++) await writeImage(join(dir, `f${String(id).padStart(2, '0')}.png`), solid(id), 8, 8, 'png');
    const spec = `folder:${dir}?testFraction=0.2`;
    const reference = await openDataset(spec, { cacheDir: tempDir('cache') });
    const expected = { train: await idsOf(reference, 'train'), test: await idsOf(reference, 'test') };
    await reference.close();

    // Two images per shard; cancel as soon as the build reports its first decoded image.
    const cacheDir = tempDir('cache');
    const options = { cacheDir, shardBytes: 2 * 192, concurrency: 1 };
    const controller = new AbortController();
    const aborted = await openDataset(spec, {
      ...options,
      signal: controller.signal,
      onProgress: (u) => {
        if (u.task === 'cache' && u.done >= 1) controller.abort();
      },
    }).catch((e: unknown) => e as Error);
    expect(aborted).toBeInstanceOf(Error);
    expect((aborted as Error).name).toBe('AbortError');
    const [parent] = await readdir(cacheDir);
    const [key] = await readdir(join(cacheDir, parent!));
    const folder = join(cacheDir, parent!, key!);
    expect(await readdir(folder)).not.toContain('manifest.json');

    // Simulate a longer interrupted build: finish it, then lose the manifest, two shards and
    // cut a third short, and leave a temporary file as a crash would.
    const complete = await openDataset(spec, options);
    await complete.close();
    const files = (await readdir(folder)).filter((f) => f.endsWith('.bin')).sort();
    await rm(join(folder, 'manifest.json'));
    await rm(join(folder, files[1]!));
    await rm(join(folder, `${files[2]!}.json`));
    await truncate(join(folder, files[3]!), 100);
    await writeFile(join(folder, `${files[4]!}.tmp-999999-abcd`), 'half a shard');
    const updates: ProgressUpdate[] = [];
    const resumed = await openDataset(spec, { ...options, onProgress: (u) => updates.push(u) });
    const resumeUpdate = updates.find((u) => u.task === 'cache' && u.message?.startsWith('resuming'));
    expect(resumeUpdate?.done).toBe(24 - 3 * 2);
    expect({ train: await idsOf(resumed, 'train'), test: await idsOf(resumed, 'test') }).toEqual(expected);
    await resumed.close();

    // A shard cut short under a valid manifest is noticed too, and rebuilt.
    await truncate(join(folder, files[0]!), 10);
    const rebuilt = await openDataset(spec, options);
    expect({ train: await idsOf(rebuilt, 'train'), test: await idsOf(rebuilt, 'test') }).toEqual(expected);
    await rebuilt.close();
  });
});

describe('image folder scan', () => {
  it('follows symbolic links to folders without looping', async () => {
    const { symlink } = await import('node:fs/promises');
    const dir = tempDir('folder');
    await writeImage(join(dir, 'sub', 'a.png'), solid(7), 8, 8, 'png');
    await symlink(dir, join(dir, 'sub', 'loop'));
    const dataset = await openDataset(`folder:${dir}?testFraction=0.001`, { cacheDir: tempDir('cache') });
    expect(dataset.info.trainCount).toBe(1);
    await dataset.close();
  });
});
