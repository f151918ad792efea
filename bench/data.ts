/**
 * Data pipeline throughput (a benchmark, not a test): Fashion-MNIST from the Debian package
 * (in memory); generated folders of photo-like images decoded into the shard cache once, then
 * streamed from disk, for each record encoding (raw bytes, lossless PNG): cache build
 * images/s, streaming images/s, bytes on disk per image, and the longest the event loop was
 * held meanwhile. `npm run bench` prints what `benchData` returns; run alone with
 * `npx tsx bench/data.ts` (`--only-folders` skips Fashion-MNIST, `--images N` sets the
 * number of 1024² images).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { loadImageFile, openDataset } from '../src-main/data';
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
  return { images, seconds: round(seconds), imagesPerSecond: round(images / seconds, 1) };
}

function round(x: number, digits = 3): number {
  return Number(x.toFixed(digits));
}

/** Runs `work` and reports the longest stretch the event loop could not run, in ms. */
async function withLoopLag<T>(work: () => Promise<T>): Promise<{ result: T; maxLoopLagMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return { result, maxLoopLagMs: round(histogram.max / 1e6, 1) };
  } finally {
    histogram.disable();
  }
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

/**
 * A photo-like image: three octaves of smooth value noise per channel (large soft shapes down
 * to fine texture), a disc with a hard edge, and sensor-like noise of a few levels, so PNG
 * compression is neither flattered by flat colour nor defeated by pure noise.
 */
function photoPixels(index: number, side: number): Buffer {
  const pixels = Buffer.alloc(side * side * 3);
  let state = ((index + 1) * 2654435761) >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const octaves = [8, 32, 128].map((cells) => ({ cells, values: Float32Array.from({ length: (cells + 1) ** 2 * 3 }, random) }));
  const cx = side * (0.3 + 0.4 * random());
  const cy = side * (0.3 + 0.4 * random());
  const r = side * (0.2 + 0.15 * random());
  const value = new Float32Array(3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      value.fill(0);
      let weight = 1;
      let total = 0;
      for (const { cells, values } of octaves) {
        const gx = (x * cells) / side;
        const gy = (y * cells) / side;
        const ix = Math.floor(gx);
        const iy = Math.floor(gy);
        const sx = (gx - ix) ** 2 * (3 - 2 * (gx - ix));
        const sy = (gy - iy) ** 2 * (3 - 2 * (gy - iy));
        const i00 = (iy * (cells + 1) + ix) * 3;
        const i01 = i00 + (cells + 1) * 3;
        for (let c = 0; c < 3; c++) {
          const top = values[i00 + c]! * (1 - sx) + values[i00 + 3 + c]! * sx;
          const bottom = values[i01 + c]! * (1 - sx) + values[i01 + 3 + c]! * sx;
          value[c] = value[c]! + weight * (top * (1 - sy) + bottom * sy);
        }
        total += weight;
        weight *= 0.35;
      }
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const v = value[c]! / total;
        const base = 255 * (inside ? 0.25 + 0.6 * v : 0.1 + 0.8 * v);
        const noise = (random() + random() + random() - 1.5) * 6;
        pixels[(y * side + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base + noise)));
      }
    }
  }
  return pixels;
}

async function writePhotos(dir: string, count: number, side: number, kind: 'png' | 'jpeg'): Promise<number> {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const image = sharp(photoPixels(i, side), { raw: { width: side, height: side, channels: 3 } });
    const path = join(dir, `${String(i).padStart(5, '0')}.${kind === 'png' ? 'png' : 'jpg'}`);
    await (kind === 'png' ? image.png() : image.jpeg({ quality: 90 })).toFile(path);
    bytes += (await stat(path)).size;
  }
  return bytes;
}

async function cacheBytes(cacheDir: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.bin')) total += (await stat(path)).size;
    }
  };
  await walk(cacheDir);
  return total;
}

/** Decodes every source file once, one per core at a time, as a cache-less stream would. */
async function decodeSources(dir: string, side: number): Promise<number> {
  const files = (await readdir(dir)).map((name) => join(dir, name));
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) await loadImageFile(files[next++]!, { size: side, bits: 5 });
  };
  await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, worker));
  return round(files.length / ((performance.now() - started) / 1000), 1);
}

/** Builds and streams one folder's cache in each encoding. */
async function benchFolder(count: number, side: number, kind: 'png' | 'jpeg', batchSize: number, epochs: number): Promise<object> {
  const root = mkdtempSync(join(tmpdir(), 'flowstudio-bench-data-'));
  try {
    const dir = join(root, 'images');
    const sourceBytes = await writePhotos(dir, count, side, kind);
    const spec = `folder:${dir}?size=${side}&bits=5&testFraction=0.001`;
    const sourceDecode = await decodeSources(dir, side);
    const encodings: Record<string, object> = {};
    for (const encoding of ['raw', 'png'] as const) {
      const cacheDir = join(root, `cache-${encoding}`);
      let started = performance.now();
      const build = await withLoopLag(() => openDataset(spec, { cacheDir, shardEncoding: encoding }));
      const buildSeconds = (performance.now() - started) / 1000;
      await build.result.close();
      started = performance.now();
      const dataset = await openDataset(spec, { cacheDir, shardEncoding: encoding, memoryBudgetBytes: 256 * 1024 * 1024 });
      const reopenSeconds = (performance.now() - started) / 1000;
      const stream = await withLoopLag(() => timeStream(dataset, 'train', batchSize, epochs));
      await dataset.close();
      const bytes = await cacheBytes(cacheDir);
      encodings[encoding] = {
        cacheBuild: { seconds: round(buildSeconds), imagesPerSecond: round(count / buildSeconds, 1), maxLoopLagMs: build.maxLoopLagMs },
        reopenSeconds: round(reopenSeconds),
        [`shuffledStreamBatch${batchSize}`]: { ...stream.result, maxLoopLagMs: stream.maxLoopLagMs },
        bytesOnDiskPerImage: Math.round(bytes / count),
        ofRaw: round(bytes / (count * side * side * 3)),
      };
      await rm(cacheDir, { recursive: true, force: true });
    }
    return {
      images: count,
      side,
      bits: 5,
      // What streaming without a cache would cost: decoding the source files at each visit.
      source: { kind, bytesPerImage: Math.round(sourceBytes / count), decodeImagesPerSecond: sourceDecode },
      // Bit-packing 5-bit values would take exactly 5/8 of raw; not implemented (PNG is smaller).
      packed5BitBytesPerImage: Math.round((side * side * 3 * 5) / 8),
      encodings,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchData(options: { fashion?: boolean; images1024?: number } = {}): Promise<object> {
  return {
    ...(options.fashion === false ? {} : { fashionMnist: await benchFashion() }),
    folder256: await benchFolder(200, 256, 'jpeg', 16, 3),
    folder1024: await benchFolder(options.images1024 ?? 32, 1024, 'png', 4, 2),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const imagesAt = process.argv.indexOf('--images');
  const images1024 = imagesAt > 0 ? Number(process.argv[imagesAt + 1]) : undefined;
  const report = await benchData({ fashion: !process.argv.includes('--only-folders'), ...(images1024 ? { images1024 } : {}) });
  console.log(JSON.stringify(report, null, 2));
}
