/**
 * The cache's record formats on real PNG files: PNG shards give back exactly what sharp
 * decodes (at the dataset's size and bit depth), take less disk than raw ones, and a
 * truncated or corrupt shard is refused with a message naming it, then built again.
 */
import { open, readFile, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { OpenedDataset, ProgressUpdate } from '../../../src-main/data';
import { photoImage, tempDir, writeImage } from './fixtures';

/** What sharp itself decodes from `file` at `size × size` (cover crop), kept to `bits`. */
async function sharpDecode(file: string, size: number, bits: number): Promise<Uint8Array> {
  const meta = await sharp(file).metadata();
  let image = sharp(file).removeAlpha();
  if (meta.width !== size || meta.height !== size) image = image.resize(size, size, { fit: 'cover', position: 'centre' });
  const data = await image.raw().toBuffer();
  return Uint8Array.from(data, (v) => v >> (8 - bits));
}

/**
 * Per record, the number of bytes that differ from the reference (all zeros when exact).
 * Compared here, not with toEqual: a deep equality walk over megabytes takes seconds.
 */
async function mismatches(dataset: OpenedDataset, reference: Uint8Array[]): Promise<number[]> {
  expect(dataset.info.trainCount).toBe(reference.length);
  const out: number[] = [];
  for (let i = 0; i < reference.length; i++) {
    const got = (await dataset.get('train', i)).data;
    const want = reference[i]!;
    let differ = Math.abs(got.length - want.length);
    for (let k = 0; k < Math.min(got.length, want.length); k++) if (got[k] !== want[k]) differ += 1;
    out.push(differ);
  }
  return out;
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** The cache folder (one per spec and settings) and its shard files, in name order. */
async function shardFiles(cacheDir: string): Promise<{ folder: string; shards: string[] }> {
  const [parent] = await readdir(cacheDir);
  const [key] = await readdir(join(cacheDir, parent!));
  const folder = join(cacheDir, parent!, key!);
  return { folder, shards: (await readdir(folder)).filter((f) => f.endsWith('.bin')).sort() };
}

async function diskBytes(cacheDir: string): Promise<number> {
  const { folder, shards } = await shardFiles(cacheDir);
  let total = 0;
  for (const s of shards) total += (await stat(join(folder, s))).size;
  return total;
}

/** A folder of 10 photo-like PNGs of 160×160 and one 200×170 that needs a crop and resize. */
async function writeFolder(): Promise<{ dir: string; files: string[] }> {
  const dir = tempDir('shards');
  const files: string[] = [];
  for (let i = 0; i < 10; i++) {
    const file = join(dir, `img${String(i).padStart(2, '0')}.png`);
    await writeImage(file, photoImage(i, 160, 160), 160, 160, 'png');
    files.push(file);
  }
  const wide = join(dir, 'img10-wide.png');
  await writeImage(wide, photoImage(10, 170, 200), 200, 170, 'png');
  files.push(wide);
  return { dir, files };
}

describe('cache shard formats', () => {
  it('PNG records are pixel-exact against sharp at the size and bit depth, and smaller than raw', async () => {
    const { dir, files } = await writeFolder();
    const spec = `folder:${dir}?size=160&bits=5&testFraction=0.001`;
    const reference = await Promise.all(files.map((f) => sharpDecode(f, 160, 5)));
    const pngCache = tempDir('shards-cache');
    const png = await openDataset(spec, { cacheDir: pngCache, shardEncoding: 'png' });
    expect(png.info).toMatchObject({ trainCount: 11, testCount: 0, shape: [160, 160, 3], bits: 5 });
    expect(await mismatches(png, reference)).toEqual(zeros(11));
    // A shuffled stream delivers the same records, each once.
    const seen: string[] = [];
    for await (const batch of png.batches('train', { batchSize: 4, seed: 3, shuffle: true, epochs: 1 })) {
      for (let k = 0; k < batch.n; k++) seen.push(Buffer.from(batch.data.subarray(k * 76800, (k + 1) * 76800) as Uint8Array).toString('base64'));
    }
    expect(seen.sort()).toEqual(reference.map((r) => Buffer.from(r).toString('base64')).sort());
    await png.close();
    // The shards really hold PNG records (signature at the start of the first).
    const { folder, shards } = await shardFiles(pngCache);
    const head = (await readFile(join(folder, shards[0]!))).subarray(0, 8);
    expect(Array.from(head)).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const rawCache = tempDir('shards-cache');
    const raw = await openDataset(spec, { cacheDir: rawCache, shardEncoding: 'raw' });
    expect(await mismatches(raw, reference)).toEqual(zeros(11));
    await raw.close();
    expect(await diskBytes(rawCache)).toBe(11 * 160 * 160 * 3);
    expect(await diskBytes(pngCache)).toBeLessThan(0.6 * 11 * 160 * 160 * 3);
  });

  it('round-trips 1024×1024 5-bit images exactly', async () => {
    const dir = tempDir('shards-1024');
    const files = [join(dir, 'a.png'), join(dir, 'b.png')];
    for (let i = 0; i < files.length; i++) await writeImage(files[i]!, photoImage(i, 1024, 1024), 1024, 1024, 'png');
    const cacheDir = tempDir('shards-cache');
    const dataset = await openDataset(`folder:${dir}?size=1024&bits=5&testFraction=0.001`, { cacheDir });
    expect(dataset.info.shape).toEqual([1024, 1024, 3]);
    // 1024² images are stored as PNG by default.
    const { folder, shards } = await shardFiles(cacheDir);
    expect(Array.from((await readFile(join(folder, shards[0]!))).subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(await mismatches(dataset, await Promise.all(files.map((f) => sharpDecode(f, 1024, 5))))).toEqual(zeros(2));
    await dataset.close();
  });

  it('refuses a truncated shard, naming it, and decodes only that shard again', async () => {
    const { dir, files } = await writeFolder();
    const spec = `folder:${dir}?size=160&bits=5&testFraction=0.001`;
    const reference = await Promise.all(files.map((f) => sharpDecode(f, 160, 5)));
    const cacheDir = tempDir('shards-cache');
    // About 3 PNG records per shard (the estimate is a quarter of the raw size).
    const options = { cacheDir, shardBytes: 3 * 19200, shardEncoding: 'png' as const };
    await (await openDataset(spec, options)).close();
    const { folder, shards } = await shardFiles(cacheDir);
    expect(shards.length).toBe(4);
    const victim = join(folder, shards[1]!);
    const size = (await stat(victim)).size;
    await truncate(victim, size - 100);
    const warnings: string[] = [];
    const updates: ProgressUpdate[] = [];
    const reopened = await openDataset(spec, { ...options, onWarning: (w) => warnings.push(w), onProgress: (u) => updates.push(u) });
    expect(warnings).toContain(`cache shard ${victim} is truncated (${size - 100} of ${size} bytes): the cache is built again, keeping every shard that is whole`);
    expect(warnings).toContain(`cache shard ${victim} is truncated (${size - 100} of ${size} bytes): it is decoded again`);
    expect(updates.find((u) => u.message?.startsWith('resuming'))?.done).toBe(11 - 3);
    expect(await mismatches(reopened, reference)).toEqual(zeros(11));
    await reopened.close();
  });

  it('refuses a record that fails its checksum, naming the shard, and rebuilds it on the next open', async () => {
    const { dir, files } = await writeFolder();
    const spec = `folder:${dir}?size=160&bits=5&testFraction=0.001`;
    const reference = await Promise.all(files.map((f) => sharpDecode(f, 160, 5)));
    const cacheDir = tempDir('shards-cache');
    const options = { cacheDir, shardBytes: 3 * 19200, shardEncoding: 'png' as const };
    const dataset = await openDataset(spec, options);
    const { folder, shards } = await shardFiles(cacheDir);
    const victim = join(folder, shards[0]!);
    // Flip one byte inside the first record's PNG data (past the signature and header).
    const handle = await open(victim, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 500);
    byte[0] = byte[0]! ^ 0x5a;
    await handle.write(byte, 0, 1, 500);
    await handle.close();
    await expect(dataset.get('train', 0)).rejects.toThrow(`cache shard ${victim} is damaged (record 0 fails its checksum)`);
    // Records of other shards still read.
    expect(Buffer.from((await dataset.get('train', 5)).data as Uint8Array).equals(reference[5]!)).toBe(true);
    await dataset.close();
    const warnings: string[] = [];
    const rebuilt = await openDataset(spec, { ...options, onWarning: (w) => warnings.push(w) });
    expect(warnings.some((w) => w.startsWith(`cache shard ${victim} is missing`))).toBe(true);
    expect(await mismatches(rebuilt, reference)).toEqual(zeros(11));
    await rebuilt.close();
  });

  it('a shuffled stream of PNG records resumes exactly at a batch position', async () => {
    const { dir } = await writeFolder();
    const dataset = await openDataset(`folder:${dir}?size=160&bits=5&testFraction=0.001`, { cacheDir: tempDir('shards-cache'), shardEncoding: 'png' });
    const options = { batchSize: 3, seed: 9, shuffle: true, dropLast: true };
    const digest = (data: Uint8Array | Float32Array): string => Buffer.from(data as Uint8Array).toString('base64');
    const original: { data: string; position: { epoch: number; offset: number } }[] = [];
    for await (const batch of dataset.batches('train', options)) {
      original.push({ data: digest(batch.data), position: batch.position });
      if (original.length === 8) break;
    }
    // 11 records, batches of 3 with dropLast: 3 per epoch, so batch 4 starts epoch 1.
    expect(original[2]!.position).toEqual({ epoch: 1, offset: 0 });
    const resumed: string[] = [];
    for await (const batch of dataset.batches('train', { ...options, start: original[3]!.position })) {
      resumed.push(digest(batch.data));
      if (resumed.length === 4) break;
    }
    expect(resumed).toEqual(original.slice(4, 8).map((b) => b.data));
    // Another epoch's permutation differs (the records are the same, their order not).
    expect(original.slice(3, 6).map((b) => b.data)).not.toEqual(original.slice(0, 3).map((b) => b.data));
    await dataset.close();
  });
});
