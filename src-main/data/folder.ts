/**
 * Image folders (CelebA-HQ and the like): every PNG, JPEG, WebP, ... below a folder, decoded
 * once into a shard cache of `size × size × 3` records quantised to `bits`, then streamed
 * from disk. The cache is keyed by the folder, the settings and the file list (names, sizes,
 * modification times), so adding, removing or touching a file builds a new cache.
 *
 * A shard holds the records of a fixed run of consecutive files of its split. Each shard is
 * written atomically (temporary file + rename) with a small JSON note of what it holds, so an
 * interrupted build resumes: finished shards are kept, and only the rest is decoded again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join, relative, sep } from 'node:path';
import {
  CACHE_VERSION,
  type CacheManifest,
  hasSize,
  hashKey,
  openCachedSplits,
  readValidManifest,
  removeStaleSiblings,
  shardName,
  writeManifest,
} from './cache';
import { DataError, messageOf, throwIfAborted } from './errors';
import { requireDirectory, writeFileAtomic } from './files';
import { imageSize, loadImageFile } from './imageFile';
import { ProgressTracker } from './progress';
import type { ShardEntry, ShardSource } from './shardSource';
import type { ProgressUpdate, Split } from './types';

/** Extensions decoded as images; other files are skipped with a warning. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif']);

export interface FolderFile {
  /** Path relative to the folder, with `/` separators (the split hash and the sort use it). */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface FolderScan {
  files: FolderFile[];
  warnings: string[];
}

/** Lists the image files below `dir` in a stable order, warning about everything else. */
export async function scanFolder(dir: string, onProgress?: (update: ProgressUpdate) => void, signal?: AbortSignal): Promise<FolderScan> {
  await requireDirectory(dir, 'image');
  const files: FolderFile[] = [];
  const warnings: string[] = [];
  const progress = new ProgressTracker('scan', null, onProgress);
  // Folders already visited (device:inode), so a symbolic link back up the tree is not a loop.
  const seen = new Set<string>();
  const visit = async (folder: string): Promise<void> => {
    throwIfAborted(signal, `scanning ${dir}`);
    const self = await stat(folder);
    const id = `${self.dev}:${self.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (folder === dir) throw new DataError(`image folder ${dir} cannot be listed: ${messageOf(error)}`, dir);
      warnings.push(`${folder}: skipped, the folder cannot be listed (${messageOf(error)})`);
      return;
    }
    for (const entry of entries) {
      // Hidden files are OS and tool metadata (.DS_Store, ._x.jpg): not data, not worth a warning.
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      let info;
      try {
        info = await stat(path);
      } catch (error) {
        warnings.push(`${path}: skipped, cannot be read (${messageOf(error)})`);
        continue;
      }
      if (info.isDirectory()) {
        await visit(path);
      } else if (info.isFile()) {
        if (!IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
          warnings.push(`${path}: skipped, not an image file (extension "${extname(entry.name) || 'none'}")`);
          continue;
        }
        files.push({ name: relative(dir, path).split(sep).join('/'), path, size: info.size, mtimeMs: info.mtimeMs });
        progress.update(files.length, `${files.length} images`);
      }
    }
  };
  await visit(dir);
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  progress.finish(`${files.length} images`);
  if (files.length === 0) {
    const others = warnings.length > 0 ? ` (${warnings.length} other file${warnings.length > 1 ? 's' : ''} skipped)` : '';
    throw new DataError(`image folder ${dir} contains no images (PNG, JPEG, WebP, TIFF, GIF, AVIF)${others}`, dir);
  }
  return { files, warnings };
}

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
  onProgress?: (update: ProgressUpdate) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
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
async function defaultSize(files: FolderFile[], warnings: string[]): Promise<number> {
  for (const file of files.slice(0, 50)) {
    try {
      const { width, height } = await imageSize(file.path);
      return Math.min(width, height);
    } catch {
      // The build will skip it with a warning; try the next.
    }
  }
  throw new DataError(`none of the first images of ${files[0]?.path ?? 'the folder'} can be read; pass ?size= explicitly (${warnings.length} warnings)`, files[0]?.path);
}

/** A shard's note, written after the shard itself: its presence marks the shard complete. */
interface ShardNote {
  records: number;
  files: number;
  warnings: string[];
}

export async function openImageFolder(dir: string, options: FolderOptions): Promise<FolderOpen> {
  const scan = await scanFolder(dir, options.onProgress, options.signal);
  for (const w of scan.warnings) options.onWarning?.(w);
  const size = options.size ?? (await defaultSize(scan.files, scan.warnings));
  const recordLength = size * size * 3;
  const identity = { format: 'folder', dir, size, bits: options.bits, testFraction: options.testFraction, version: CACHE_VERSION };
  const key = hashKey({ identity, files: scan.files.map((f) => [f.name, f.size, f.mtimeMs]) });
  const parent = join(options.cacheDir, `folder-${hashKey(identity, 12)}`);
  const folder = join(parent, key);
  let manifest = await readValidManifest(folder, key);
  let built = false;
  if (!manifest) {
    await mkdir(folder, { recursive: true });
    await removeStaleSiblings(parent, key);
    const bySplit: Record<Split, FolderFile[]> = { train: [], test: [] };
    for (const file of scan.files) bySplit[isTestFile(file.name, options.testFraction) ? 'test' : 'train'].push(file);
    const filesPerShard = Math.max(1, Math.floor(options.shardBytes / recordLength));
    const builder = new FolderBuilder(folder, size, recordLength, filesPerShard, options, scan.files.length);
    await builder.resume(bySplit);
    const splits = {} as CacheManifest['splits'];
    for (const split of ['train', 'test'] as const) splits[split] = { shards: await builder.build(split, bySplit[split]), count: 0 };
    for (const split of ['train', 'test'] as const) splits[split].count = splits[split].shards.reduce((n, s) => n + s.records, 0);
    builder.finish();
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
    manifest = {
      version: CACHE_VERSION,
      format: 'folder',
      key,
      source: dir,
      shape: [size, size, 3],
      bits: options.bits,
      recordLength,
      splits,
      warnings,
      createdAt: new Date().toISOString(),
    };
    await writeManifest(folder, manifest);
    built = true;
  } else {
    // A reused cache reports the problems its build found, once more, as they still hold.
    for (const w of manifest.warnings) options.onWarning?.(w);
  }
  const warnings = [...scan.warnings, ...manifest.warnings];
  return { splits: await openCachedSplits(folder, manifest), size, warnings, cacheFolder: folder, built };
}

/** Decodes the files of each split into shards, reusing shards a previous build finished. */
class FolderBuilder {
  readonly warnings: string[] = [];
  private progress: ProgressTracker;
  private done = 0;
  private readonly reusable = new Map<string, ShardNote>();

  constructor(
    private readonly folder: string,
    private readonly size: number,
    private readonly recordLength: number,
    private readonly filesPerShard: number,
    private readonly options: FolderOptions,
    private readonly total: number,
  ) {
    this.progress = new ProgressTracker('cache', total, options.onProgress);
  }

  /** Finds the shards an interrupted build completed, and counts them as done. */
  async resume(bySplit: Record<Split, FolderFile[]>): Promise<void> {
    let reused = 0;
    for (const split of ['train', 'test'] as const) {
      const shards = Math.ceil(bySplit[split].length / this.filesPerShard);
      for (let k = 0; k < shards; k++) {
        const note = await this.readNote(split, k);
        if (note) {
          this.reusable.set(shardName(split, k), note);
          reused += note.files;
        }
      }
    }
    if (reused > 0) {
      this.progress = new ProgressTracker('cache', this.total, this.options.onProgress, reused);
      this.done = reused;
      this.progress.update(reused, `resuming: ${reused} images already decoded`, true);
    }
  }

  private async readNote(split: Split, k: number): Promise<ShardNote | null> {
    const file = shardName(split, k);
    try {
      const note = JSON.parse(await readFile(join(this.folder, `${file}.json`), 'utf8')) as ShardNote;
      if (await hasSize(join(this.folder, file), note.records * this.recordLength)) return note;
    } catch {
      // No note or a bad one: the shard is decoded again.
    }
    return null;
  }

  async build(split: Split, files: FolderFile[]): Promise<ShardEntry[]> {
    const shards: ShardEntry[] = [];
    for (let k = 0; k * this.filesPerShard < files.length; k++) {
      const file = shardName(split, k);
      const chunk = files.slice(k * this.filesPerShard, (k + 1) * this.filesPerShard);
      let note = this.reusable.get(file);
      if (note) {
        for (const w of note.warnings) this.warn(w);
      } else {
        throwIfAborted(this.options.signal, `building the cache of ${this.folder}`);
        note = await this.decodeShard(file, chunk);
      }
      if (note.records > 0) shards.push({ file, records: note.records });
    }
    return shards;
  }

  private async decodeShard(file: string, chunk: FolderFile[]): Promise<ShardNote> {
    const decoded: (Uint8Array | null)[] = new Array(chunk.length).fill(null);
    const warnings: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunk.length) {
        const i = next++;
        throwIfAborted(this.options.signal, `building the cache of ${this.folder}`);
        try {
          decoded[i] = await loadImageFile(chunk[i]!.path, { size: this.size, channels: 3, bits: this.options.bits });
        } catch (error) {
          // Decoding order differs from file order; the warnings are sorted below.
          warnings[i] = `${chunk[i]!.path}: skipped, ${messageOf(error).replace(`${chunk[i]!.path} `, '')}`;
        }
        this.done += 1;
        this.progress.update(this.done, chunk[i]!.name);
      }
    };
    const concurrency = this.options.concurrency ?? Math.max(2, availableParallelism());
    await Promise.all(Array.from({ length: Math.min(concurrency, chunk.length) }, worker));
    const good = decoded.filter((d): d is Uint8Array => d !== null);
    const bytes = new Uint8Array(good.length * this.recordLength);
    good.forEach((d, i) => bytes.set(d, i * this.recordLength));
    const note: ShardNote = { records: good.length, files: chunk.length, warnings: warnings.filter((w) => w !== undefined) };
    for (const w of note.warnings) this.warn(w);
    await writeFileAtomic(join(this.folder, file), bytes);
    await writeFileAtomic(join(this.folder, `${file}.json`), JSON.stringify(note));
    return note;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }

  finish(): void {
    this.progress.finish();
  }
}
