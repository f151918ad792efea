/**
 * Dataset loaders: `openDataset(spec)` reads any format of src-shared/dataSpec.ts into the
 * Dataset contract of ./types. Small formats (IDX, CIFAR-10, toys) live in memory; large
 * ones (image folders, ImageNet32) are decoded once into an on-disk shard cache and streamed.
 */
import { type DataSpec, type DataSpecOptions, parseDataSpec, unusedOptions } from '../../src-shared/dataSpec';
import { defaultCacheDir } from './cache';
import { CIFAR_SIDE, CIFAR_TEST_FILE, CIFAR_TRAIN_FILES, findCifarDir, loadCifarSplit } from './cifar';
import { LoadedDataset } from './dataset';
import { DataError, throwIfAborted } from './errors';
import { requireDirectory, resolveUserPath } from './files';
import { openImageFolder } from './folder';
import { findIdxSplit, loadIdxSplit } from './idx';
import { openImagenet32 } from './imagenet32';
import { quantiseInPlace } from './pixels';
import { MemorySource, type RecordSource } from './source';
import { TOY_DEFAULT_N, TOY_TEST_SEED, TOY_TITLES, TOY_TRAIN_SEED, generateToy } from './toy2d';
import type { DatasetInfo, OpenOptions, OpenedDataset, Split } from './types';

export type * from './types';
export { DataError } from './errors';
export { encodePng, encodePngGrid } from './png';
export { loadImageFile } from './imageFile';
export { parseDataSpec } from '../../src-shared/dataSpec';

/** Default bytes of decoded examples one stream may hold (current batch + read-ahead). */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;
const DEFAULT_SHARD_BYTES = 32 * 1024 * 1024;
const DEFAULT_TEST_FRACTION = 0.05;

interface Opened {
  name: string;
  shape: number[];
  bits: number;
  sources: Record<Split, RecordSource>;
  warnings: string[];
}

/** Opens a dataset from a spec string (`fashion-mnist:/path`, `folder:/path?size=256&bits=5`, `toy:rings`). */
export async function openDataset(spec: string | DataSpec, options: OpenOptions = {}): Promise<OpenedDataset> {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  if (!(budget > 0)) throw new DataError(`memoryBudgetBytes must be positive, got ${budget}`);
  throwIfAborted(options.signal, `opening ${parsed.raw}`);
  const opened = await openFormat(parsed, options, budget);
  for (const w of ignoredOptionWarnings(parsed)) {
    opened.warnings.push(w);
    options.onWarning?.(w);
  }
  const info: DatasetInfo = {
    name: opened.name,
    format: parsed.format,
    spec: parsed.raw,
    shape: opened.shape,
    bits: opened.bits,
    trainCount: opened.sources.train.count,
    testCount: opened.sources.test.count,
    warnings: opened.warnings,
  };
  return new LoadedDataset(info, opened.sources, budget);
}

/** Why an option means nothing for a format: reported, not silently dropped. */
function ignoredOptionWarnings(spec: DataSpec): string[] {
  const why = (key: keyof DataSpecOptions): string => {
    if (spec.format === 'toy') {
      if (key === 'size') return 'points, not images';
      if (key === 'bits') return 'continuous points';
      return 'the test set is drawn with its own seed';
    }
    return key === 'n' ? 'it sets the number of toy points' : 'the format has its own test split';
  };
  return unusedOptions(spec).map((key) => `option ${key} is ignored for ${spec.format} data (${why(key)})`);
}

function imageBits(spec: DataSpec): number {
  return spec.options.bits ?? 8;
}

/** Native-size formats: a size option that differs is reported (they are not resized). */
function checkNativeSize(spec: DataSpec, side: number, warnings: string[]): void {
  const size = spec.options.size;
  if (size !== undefined && size !== side) warnings.push(`option size=${size} is ignored: ${spec.format} images are ${side}×${side} (only image folders are resized)`);
}

async function openFormat(spec: DataSpec, options: OpenOptions, budget: number): Promise<Opened> {
  if (spec.format === 'toy') {
    const n = spec.options.n ?? TOY_DEFAULT_N;
    const testN = Math.max(1, Math.floor(n / 4));
    return {
      name: TOY_TITLES[spec.toy],
      shape: [2],
      bits: 0,
      sources: {
        train: new MemorySource(generateToy(spec.toy, n, TOY_TRAIN_SEED), 2, undefined),
        test: new MemorySource(generateToy(spec.toy, testN, TOY_TEST_SEED), 2, undefined),
      },
      warnings: [],
    };
  }
  const dir = resolveUserPath(spec.path);
  const bits = imageBits(spec);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  switch (spec.format) {
    case 'mnist':
    case 'fashion-mnist': {
      await requireDirectory(dir, spec.format);
      // Find all four files first, so a missing one is named before any is read.
      const files = [await findIdxSplit(dir, 'train'), await findIdxSplit(dir, 't10k')] as const;
      const [train, test] = await Promise.all([loadIdxSplit(files[0]), loadIdxSplit(files[1])]);
      if (train.height !== test.height || train.width !== test.width) {
        throw new DataError(`${train.imagesFile} holds ${train.height}×${train.width} images but ${test.imagesFile} ${test.height}×${test.width}`, test.imagesFile);
      }
      quantiseInPlace(train.images, bits);
      quantiseInPlace(test.images, bits);
      checkNativeSize(spec, train.height, warnings);
      const recordLength = train.height * train.width;
      return {
        name: spec.format === 'mnist' ? 'MNIST' : 'Fashion-MNIST',
        shape: [train.height, train.width, 1],
        bits,
        sources: { train: new MemorySource(train.images, recordLength, train.labels), test: new MemorySource(test.images, recordLength, test.labels) },
        warnings,
      };
    }
    case 'cifar10': {
      await requireDirectory(dir, 'CIFAR-10');
      const batches = await findCifarDir(dir);
      const train = await loadCifarSplit(batches, CIFAR_TRAIN_FILES, warn);
      const test = await loadCifarSplit(batches, [CIFAR_TEST_FILE], warn);
      quantiseInPlace(train.images, bits);
      quantiseInPlace(test.images, bits);
      checkNativeSize(spec, CIFAR_SIDE, warnings);
      const recordLength = CIFAR_SIDE * CIFAR_SIDE * 3;
      return {
        name: 'CIFAR-10',
        shape: [CIFAR_SIDE, CIFAR_SIDE, 3],
        bits,
        sources: { train: new MemorySource(train.images, recordLength, train.labels), test: new MemorySource(test.images, recordLength, test.labels) },
        warnings,
      };
    }
    case 'imagenet32': {
      await requireDirectory(dir, 'ImageNet32');
      const opened = await openImagenet32(dir, {
        bits,
        cacheDir: options.cacheDir ?? defaultCacheDir(),
        shardBytes: shardBytes(options, budget),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      for (const w of opened.warnings) warn(w);
      checkNativeSize(spec, opened.side, warnings);
      return { name: `ImageNet ${opened.side}×${opened.side}`, shape: [opened.side, opened.side, 3], bits, sources: opened.splits, warnings };
    }
    case 'folder': {
      const opened = await openImageFolder(dir, {
        ...(spec.options.size !== undefined ? { size: spec.options.size } : {}),
        bits,
        testFraction: spec.options.testFraction ?? DEFAULT_TEST_FRACTION,
        cacheDir: options.cacheDir ?? defaultCacheDir(),
        shardBytes: shardBytes(options, budget),
        ...(options.shardEncoding ? { encoding: options.shardEncoding } : {}),
        ...(options.scanLimits ? { scanLimits: scanLimits(options.scanLimits) } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        // The folder reports its warnings through onWarning itself, as it meets them.
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      });
      warnings.push(...opened.warnings);
      return { name: folderName(dir), shape: [opened.size, opened.size, 3], bits, sources: opened.splits, warnings };
    }
  }
}

function scanLimits(limits: NonNullable<OpenOptions['scanLimits']>): { maxEntries?: number; maxDepth?: number } {
  const out: { maxEntries?: number; maxDepth?: number } = {};
  for (const key of ['maxEntries', 'maxDepth'] as const) {
    const v = limits[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new DataError(`scanLimits.${key} must be a positive integer, got ${v}`);
    out[key] = v;
  }
  return out;
}

function shardBytes(options: OpenOptions, budget: number): number {
  return Math.max(1, Math.min(options.shardBytes ?? DEFAULT_SHARD_BYTES, Math.floor(budget / 2)));
}

function folderName(dir: string): string {
  const parts = dir.split(/[\\/]/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? dir;
}
