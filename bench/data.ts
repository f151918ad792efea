/**
 * Data pipeline throughput (a benchmark, not a test): Fashion-MNIST from the Debian package
 * (in memory), and a generated folder of 256×256 JPEGs (decode into the shard cache once,
 * then stream from disk). `npm run bench` prints what `benchData` returns; run alone with
 * `npx tsx bench/data.ts`.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { openDataset } from '../src-main/data';
import type { OpenedDataset, Split } from '../src-main/data';

const FASHION = '/usr/share/datasets/fashion-mnist';

interface StreamResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

async function timeStream(dataset: OpenedDataset, split: Split, batchSize: number, epochs: number): Promise<StreamResult> {
  const started = performance.now();
  let images = 0;
  for await (const batch of dataset.batches(split, { batchSize, seed: 1, shuffle: true, epochs })) images += batch.n;
  const seconds = (performance.now() - started) / 1000;
  return { images, seconds: round(seconds), imagesPerSecond: Math.round(images / seconds) };
}

function round(x: number, digits = 3): number {
  return Number(x.toFixed(digits));
}

async function benchFashion(): Promise<object> {
  if (!existsSync(FASHION)) return { skipped: `${FASHION} is not installed (Debian package dataset-fashion-mnist)` };
  const started = performance.now();
  const dataset = await openDataset(`fashion-mnist:${FASHION}`);
  const openSeconds = (performance.now() - started) / 1000;
  const stream = await timeStream(dataset, 'train', 256, 1);
  await dataset.close();
  return { openSeconds: round(openSeconds), loadImagesPerSecond: Math.round(70000 / openSeconds), shuffledEpochBatch256: stream };
}

/** A photo-like 256×256 JPEG: smooth colour fields plus fine noise (what a face crop costs to decode). */
async function writePhoto(path: string, index: number, side: number): Promise<void> {
  const pixels = Buffer.alloc(side * side * 3);
  let state = (index + 1) * 2654435761;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const noise = (state >>> 24) / 16;
      const at = (y * side + x) * 3;
      pixels[at] = 100 + 80 * Math.sin((x + index * 7) / 23) + noise;
      pixels[at + 1] = 90 + 70 * Math.cos((y + index * 3) / 31) + noise;
      pixels[at + 2] = 120 + 60 * Math.sin((x + y) / 41) + noise;
    }
  }
  await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
}

async function benchFolder(count: number, side: number): Promise<object> {
  const root = mkdtempSync(join(tmpdir(), 'flowstudio-bench-data-'));
  try {
    const dir = join(root, 'images');
    await mkdir(dir);
    for (let i = 0; i < count; i++) await writePhoto(join(dir, `${String(i).padStart(5, '0')}.jpg`), i, side);
    const cacheDir = join(root, 'cache');
    const spec = `folder:${dir}?size=${side}&bits=5`;
    let started = performance.now();
    const built = await openDataset(spec, { cacheDir });
    const buildSeconds = (performance.now() - started) / 1000;
    await built.close();
    started = performance.now();
    const dataset = await openDataset(spec, { cacheDir, memoryBudgetBytes: 64 * 1024 * 1024 });
    const reopenSeconds = (performance.now() - started) / 1000;
    const stream = await timeStream(dataset, 'train', 16, 3);
    await dataset.close();
    return {
      images: count,
      side,
      bits: 5,
      cacheBuild: { seconds: round(buildSeconds), imagesPerSecond: round(count / buildSeconds, 1) },
      reopenSeconds: round(reopenSeconds),
      shuffledStreamBatch16: stream,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchData(): Promise<object> {
  return {
    fashionMnist: await benchFashion(),
    folder256: await benchFolder(200, 256),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchData(), null, 2));
}
