/**
 * Downsampled ImageNet 32×32 as distributed (Chrabaszcz et al. 2017): `train_data_batch_1..10
 * .npz` and `val_data.npz`, each holding `data` (N × 3072 uint8, channel-planar like
 * CIFAR-10), `labels` (1-based class ids) and maybe `mean`. 1.28 M training images are
 * 3.9 GB decoded, so the arrays are streamed out of the zips once into a shard cache (NHWC,
 * quantised, labels made 0-based) and batches are read from there.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  CACHE_VERSION,
  type CacheManifest,
  ShardWriter,
  hashKey,
  int32ToBytes,
  openCachedSplits,
  readValidManifest,
  removeStaleSiblings,
  writeManifest,
} from './cache';
import { DataError } from './errors';
import { tempPath, writeFileAtomic } from './files';
import { fileKind, notRegularError } from './regularFile';
import type { NpyHeader } from './npy';
import { integersToInt32 } from './npy';
import { CollectingConsumer, type NpyConsumer, streamNpz } from './npz';
import { planarToHwc } from './pixels';
import { ProgressTracker } from './progress';
import type { ShardSource } from './shardSource';
import type { ProgressUpdate, Split } from './types';

const TRAIN_PATTERN = /^train_data_batch_(\d+)\.npz$/;
const TEST_NAME = 'val_data.npz';

interface NpzFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The npz files of each split, in the spec's folder or one level below (as the archives unpack). */
export async function findImagenetFiles(dir: string): Promise<Record<Split, NpzFile[]>> {
  const found: Record<Split, { path: string; order: number }[]> = { train: [], test: [] };
  const visit = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth === 0) await visit(path, 1);
      const train = TRAIN_PATTERN.exec(entry.name);
      if (train && !entry.isDirectory()) found.train.push({ path, order: Number(train[1]) });
      else if (entry.name === TEST_NAME && !entry.isDirectory()) found.test.push({ path, order: 0 });
    }
  };
  await visit(dir, 0);
  if (found.train.length === 0 && found.test.length === 0) {
    throw new DataError(`${dir} holds no ImageNet32 files (train_data_batch_<k>.npz, ${TEST_NAME}), neither directly nor one folder down`, dir);
  }
  const withStats = async (list: { path: string; order: number }[]): Promise<NpzFile[]> =>
    Promise.all(
      list
        .sort((a, b) => a.order - b.order || (a.path < b.path ? -1 : 1))
        .map(async ({ path }) => {
          const s = await stat(path);
          // A FIFO or device named like a batch is refused here, before anything opens it.
          if (!s.isFile()) throw notRegularError(path, fileKind(s));
          return { path, size: s.size, mtimeMs: s.mtimeMs };
        }),
    );
  return { train: await withStats(found.train), test: await withStats(found.test) };
}

/** Layout of the `data` array: planar rows (N × 3s²), planar images (N × 3 × s × s) or NHWC. */
interface DataLayout {
  side: number;
  planar: boolean;
}

function dataLayout(header: NpyHeader, where: string): DataLayout {
  if (header.fortranOrder) throw new DataError(`${where} is stored in Fortran order; C order (numpy's default) is expected`, where);
  if (header.kind !== 'u' || header.itemSize !== 1) throw new DataError(`${where} has dtype ${header.descr}; uint8 pixels are expected`, where);
  const s = header.shape;
  if (s.length === 2) {
    const side = Math.round(Math.sqrt(s[1]! / 3));
    if (side * side * 3 === s[1]) return { side, planar: true };
  } else if (s.length === 4 && s[1] === 3 && s[2] === s[3]) {
    return { side: s[2]!, planar: true };
  } else if (s.length === 4 && s[3] === 3 && s[1] === s[2]) {
    return { side: s[1]!, planar: false };
  }
  throw new DataError(`${where} has shape (${s.join(', ')}); expected (N, 3·s·s) rows of channel-planar pixels, as ImageNet32 is distributed`, where);
}

/** Streams the `data` rows of one npz into the writer as NHWC, quantised. */
class PixelConsumer implements NpyConsumer {
  layout: DataLayout | null = null;
  rows = 0;
  declaredRows = 0;
  private partial: Uint8Array = new Uint8Array(0);
  private partialFill = 0;
  private rowBytes = 0;

  constructor(
    private readonly where: string,
    private readonly writer: () => ShardWriter,
    private readonly expectedSide: number | null,
    private readonly shift: number,
  ) {}

  header(header: NpyHeader): void {
    const layout = dataLayout(header, this.where);
    if (this.expectedSide !== null && layout.side !== this.expectedSide) {
      throw new DataError(`${this.where} holds ${layout.side}×${layout.side} images, other files of the dataset ${this.expectedSide}×${this.expectedSide}`, this.where);
    }
    this.layout = layout;
    this.declaredRows = header.shape[0]!;
    this.rowBytes = layout.side * layout.side * 3;
    this.partial = new Uint8Array(this.rowBytes);
  }

  data(chunk: Uint8Array): void {
    let at = 0;
    if (this.partialFill > 0) {
      const take = Math.min(chunk.length, this.rowBytes - this.partialFill);
      this.partial.set(chunk.subarray(0, take), this.partialFill);
      this.partialFill += take;
      at = take;
      if (this.partialFill < this.rowBytes) return;
      this.emit(this.partial);
      this.partialFill = 0;
    }
    while (at + this.rowBytes <= chunk.length) {
      this.emit(chunk.subarray(at, at + this.rowBytes));
      at += this.rowBytes;
    }
    if (at < chunk.length) {
      this.partial.set(chunk.subarray(at));
      this.partialFill = chunk.length - at;
    }
  }

  private emit(row: Uint8Array): void {
    const { out, offset } = this.writer().append();
    const side = this.layout!.side;
    if (this.layout!.planar) planarToHwc(row, side * side, 3, out, offset);
    else out.set(row, offset);
    if (this.shift > 0) for (let i = offset; i < offset + this.rowBytes; i++) out[i] = out[i]! >> this.shift;
    this.rows += 1;
  }

  end(): void {}
}

export interface ImagenetOpen {
  splits: Record<Split, ShardSource>;
  side: number;
  warnings: string[];
  cacheFolder: string;
}

export interface ImagenetOptions {
  bits: number;
  cacheDir: string;
  shardBytes: number;
  onProgress?: (update: ProgressUpdate) => void;
  signal?: AbortSignal;
}

/** Opens (building if needed) the shard cache of an ImageNet32 folder. */
export async function openImagenet32(dir: string, options: ImagenetOptions): Promise<ImagenetOpen> {
  const files = await findImagenetFiles(dir);
  const warnings: string[] = [];
  if (files.train.length === 0) warnings.push(`${dir}: no train_data_batch_<k>.npz files; the train split is empty`);
  if (files.test.length === 0) warnings.push(`${dir}: no ${TEST_NAME}; the test split is empty`);
  const identity = { format: 'imagenet32', dir, bits: options.bits, version: CACHE_VERSION };
  const key = hashKey({ identity, files });
  const parent = join(options.cacheDir, `imagenet32-${hashKey(identity, 12)}`);
  const folder = join(parent, key);
  let manifest = await readValidManifest(folder, key);
  if (!manifest) {
    manifest = await buildImagenetCache(dir, files, key, folder, options, warnings);
    await removeStaleSiblings(parent, key);
  }
  return { splits: await openCachedSplits(folder, manifest), side: manifest.shape[0]!, warnings: manifest.warnings, cacheFolder: folder };
}

async function buildImagenetCache(
  dir: string,
  files: Record<Split, NpzFile[]>,
  key: string,
  folder: string,
  options: ImagenetOptions,
  warnings: string[],
): Promise<CacheManifest> {
  // Build in a private temporary folder, then rename it into place: a reader never sees a
  // half-built cache, and an interrupted build leaves only a temporary folder behind.
  await mkdir(join(folder, '..'), { recursive: true });
  const building = tempPath(folder);
  await mkdir(building, { recursive: true });
  const totalBytes = [...files.train, ...files.test].reduce((n, f) => n + f.size, 0);
  const progress = new ProgressTracker('cache', totalBytes, options.onProgress);
  let bytesBefore = 0;
  let side: number | null = null;
  const shift = 8 - options.bits;
  try {
    const splits = {} as CacheManifest['splits'];
    for (const split of ['train', 'test'] as const) {
      let writer: ShardWriter | null = null;
      const labelParts: Int32Array[] = [];
      for (const file of files[split]) {
        const where = file.path;
        const labels = new CollectingConsumer();
        const pixels: PixelConsumer = new PixelConsumer(
          `${where} (array "data")`,
          () => {
            if (!writer) {
              const recordLength = pixels.layout!.side ** 2 * 3;
              writer = new ShardWriter(building, split, recordLength, Math.max(1, Math.floor(options.shardBytes / recordLength)));
            }
            return writer;
          },
          side,
          shift,
        );
        const names = await streamNpz(file.path, (name) => (name === 'data' ? pixels : name === 'labels' ? labels : null), {
          afterChunk: async () => {
            await (writer as ShardWriter | null)?.drain();
          },
          onBytes: (n) => progress.update(bytesBefore + n, `${relative(dir, file.path)}: ${pixels.rows} images`),
          signal: options.signal,
        });
        bytesBefore += file.size;
        for (const wanted of ['data', 'labels']) {
          if (!names.includes(wanted)) {
            throw new DataError(`${file.path} has no "${wanted}" array (it holds: ${names.join(', ') || 'nothing'}); ImageNet32 npz files hold data and labels`, file.path);
          }
        }
        side ??= pixels.layout!.side;
        const values = integersToInt32(labels.bytes!, labels.header_!, `${file.path} (array "labels")`);
        if (values.length !== pixels.rows) {
          throw new DataError(`${file.path} holds ${pixels.rows} images but ${values.length} labels`, file.path);
        }
        for (let i = 0; i < values.length; i++) {
          if (values[i]! < 1) throw new DataError(`${file.path}: label ${values[i]} at index ${i}; ImageNet32 labels are 1-based`, file.path);
          values[i] = values[i]! - 1;
        }
        labelParts.push(values);
      }
      const shards = writer ? await (writer as ShardWriter).finish() : [];
      const count = labelParts.reduce((n, l) => n + l.length, 0);
      const labels = new Int32Array(count);
      let at = 0;
      for (const part of labelParts) {
        labels.set(part, at);
        at += part.length;
      }
      const labelsFile = `${split}-labels.bin`;
      await writeFileAtomic(join(building, labelsFile), int32ToBytes(labels));
      splits[split] = { shards, count, labelsFile };
    }
    const s = side ?? 32;
    const manifest: CacheManifest = {
      version: CACHE_VERSION,
      format: 'imagenet32',
      key,
      source: dir,
      shape: [s, s, 3],
      bits: options.bits,
      splits,
      warnings,
      createdAt: new Date().toISOString(),
    };
    await writeManifest(building, manifest);
    progress.finish();
    try {
      await rename(building, folder);
    } catch {
      // Another process finished the same cache first: use theirs if it is whole.
      const theirs = await readValidManifest(folder, key);
      if (!theirs) {
        await rm(folder, { recursive: true, force: true });
        await rename(building, folder);
      }
    }
    return (await readValidManifest(folder, key)) ?? manifest;
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}
