/**
 * Image folders (CelebA-HQ and the like): every PNG, JPEG, WebP, ... below a folder
 * (./folderScan), decoded once into a shard cache of `size × size × 3` records quantised to
 * `bits` (./folderBuild), then streamed from disk. Records are raw, or lossless PNG for
 * large images (./shardFormat), so a 1024² folder takes about a quarter of its raw size. The cache is keyed by the folder, the settings and the file list (names, sizes,
 * modification times), so adding, removing or touching a file builds a new cache; a build
 * that was interrupted, or a damaged shard, is resumed, keeping every shard that is whole.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_VERSION, type CacheManifest, checkManifest, hashKey, openCachedSplits, removeStaleSiblings, writeManifest } from './cache';
import { DataError, throwIfAborted } from './errors';
import { FolderBuilder } from './folderBuild';
import { type FolderFile, type ScanLimits, scanFolder } from './folderScan';
import { imageSize } from './imageFile';
import { type ShardEncoding, defaultEncoding } from './shardFormat';
import type { ShardSource } from './shardSource';
import type { ProgressUpdate, Split } from './types';


/**
 * Whether a file belongs to the test split: the first 32 bits of SHA-1 of its relative name,
 * as a fraction of 2^32, below `testFraction`. Depends on the name only, so adding files
 * never moves an existing file between splits.
 */
export function isTestFile(name: string, testFraction: number): boolean {
  const digest = createHash('sha1').update(name).digest();
  return digest.readUInt32BE(0) / 0x100000000 < testFraction;
}

export interface FolderOptions {
  /** Square side; default the shorter side of the first image. */
  size?: number;
  bits: number;
  testFraction: number;
  cacheDir: string;
  shardBytes: number;
  /** How records are stored (default: PNG from 512² or past 16 GiB of raw records, else raw). */
  encoding?: ShardEncoding;
  onProgress?: (update: ProgressUpdate) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  scanLimits?: Partial<ScanLimits>;
  /** Images decoded at once (default: the number of cores, at least 2). */
  concurrency?: number;
}

export interface FolderOpen {
  splits: Record<Split, ShardSource>;
  size: number;
  warnings: string[];
  cacheFolder: string;
  /** True when this open decoded images (false: a complete cache was reused). */
  built: boolean;
}

/** The default side: the shorter side of the first file that can be read. */
async function defaultSize(files: FolderFile[], warnings: string[], signal: AbortSignal | undefined): Promise<number> {
  for (const file of files.slice(0, 50)) {
    throwIfAborted(signal, 'reading the first images');
    try {
      const { width, height } = await imageSize(file.path);
      return Math.min(width, height);
    } catch {
      // The build will skip it with a warning; try the next.
    }
  }
  throw new DataError(`none of the first images of ${files[0]?.path ?? 'the folder'} can be read; pass ?size= explicitly (${warnings.length} warnings)`, files[0]?.path);
}

/**
 * Records per shard, fixed before anything is decoded (resuming depends on it): the shard
 * size over the record's raw size, or over a quarter of it for PNG (its typical ratio).
 */
function filesPerShard(shardBytes: number, recordLength: number, encoding: ShardEncoding): number {
  const perRecord = encoding === 'raw' ? recordLength : recordLength / 4;
  return Math.max(1, Math.floor(shardBytes / perRecord));
}

export async function openImageFolder(dir: string, options: FolderOptions): Promise<FolderOpen> {
  const scan = await scanFolder(dir, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.scanLimits ? { limits: options.scanLimits } : {}),
  });
  for (const w of scan.warnings) options.onWarning?.(w);
  const size = options.size ?? (await defaultSize(scan.files, scan.warnings, options.signal));
  const shape = [size, size, 3];
  const encoding = options.encoding ?? defaultEncoding(size, scan.files.length);
  const identity = { format: 'folder', dir, size, bits: options.bits, testFraction: options.testFraction, encoding, version: CACHE_VERSION };
  const key = hashKey({ identity, files: scan.files.map((f) => [f.name, f.size, f.mtimeMs]) });
  const parent = join(options.cacheDir, `folder-${hashKey(identity, 12)}`);
  const folder = join(parent, key);
  const check = await checkManifest(folder, key);
  let manifest = check.manifest;
  const notes: string[] = [];
  if (check.problem) {
    notes.push(`${check.problem}: the cache is built again, keeping every shard that is whole`);
    options.onWarning?.(notes[0]!);
  }
  let built = false;
  if (!manifest) {
    await mkdir(folder, { recursive: true });
    await removeStaleSiblings(parent, key);
    const bySplit: Record<Split, FolderFile[]> = { train: [], test: [] };
    for (const file of scan.files) bySplit[isTestFile(file.name, options.testFraction) ? 'test' : 'train'].push(file);
    const builder = new FolderBuilder(
      {
        folder,
        shape,
        bits: options.bits,
        encoding,
        filesPerShard: filesPerShard(options.shardBytes, size * size * 3, encoding),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      },
      scan.files.length,
    );
    await builder.resume(bySplit);
    const splits = {} as CacheManifest['splits'];
    for (const split of ['train', 'test'] as const) {
      const shards = await builder.build(split, bySplit[split]);
      splits[split] = { shards, count: shards.reduce((n, s) => n + s.records, 0) };
    }
    builder.finish();
    notes.push(...builder.cacheNotes);
    const decoded = splits.train.count + splits.test.count;
    if (decoded === 0) {
      throw new DataError(`none of the ${scan.files.length} images in ${dir} could be decoded; first problem: ${builder.warnings[0] ?? 'unknown'}`, dir);
    }
    // Build warnings only: the scan's are found afresh on every open (non-image files are
    // not part of the cache key, so they may come and go without a rebuild).
    const warnings = [...builder.warnings];
    if (splits.test.count === 0) {
      warnings.push(`${dir}: the test split is empty (${decoded} images, test fraction ${options.testFraction})`);
      options.onWarning?.(warnings[warnings.length - 1]!);
    }
    manifest = { version: CACHE_VERSION, format: 'folder', key, source: dir, shape, bits: options.bits, splits, warnings, createdAt: new Date().toISOString() };
    await writeManifest(folder, manifest);
    built = true;
  } else {
    // A reused cache reports the problems its build found, once more, as they still hold.
    for (const w of manifest.warnings) options.onWarning?.(w);
  }
  const warnings = [...scan.warnings, ...notes, ...manifest.warnings];
  return { splits: await openCachedSplits(folder, manifest), size, warnings, cacheFolder: folder, built };
}
