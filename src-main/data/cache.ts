/**
 * The on-disk cache of decoded examples: one folder per (source, decoding settings, file
 * list), holding shard files (./shardFormat), optional label files and a manifest. The
 * manifest is written last and atomically, is validated field by field when read, and is
 * trusted only when every shard it lists is a regular file of exactly the size it says: a
 * build that was interrupted, or a shard cut short, is seen as "no cache" and rebuilt.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DataError, messageOf } from './errors';
import { writeFileAtomic } from './files';
import { readJsonFile, readRegularFile } from './regularFile';
import { type ShardEntry, ShardEntrySchema } from './shardFormat';
import { ShardSource } from './shardSource';
import type { Split } from './types';

/** 2: shards carry an encoding (raw or PNG), their size, record ends and checksums. */
export const CACHE_VERSION = 2;

/** `FLOWSTUDIO_CACHE_DIR`, else `<cwd>/.cache/datasets`. */
export function defaultCacheDir(): string {
  return process.env['FLOWSTUDIO_CACHE_DIR'] ?? join(process.cwd(), '.cache', 'datasets');
}

/** A short stable hash of any JSON-able value (cache keys). */
export function hashKey(value: unknown, length = 16): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}

const SplitManifestSchema = z.object({
  shards: z.array(ShardEntrySchema),
  count: z.number().int().min(0),
  /** Int32 little-endian labels of every record, when the format has labels. */
  labelsFile: z
    .string()
    .regex(/^(train|test)-labels\.bin$/)
    .optional(),
});
export type SplitManifest = z.infer<typeof SplitManifestSchema>;

export const CacheManifestSchema = z.object({
  version: z.number().int(),
  format: z.string().max(40),
  /** Hash of everything the content depends on. */
  key: z.string().max(64),
  /** The source folder (for people looking inside the cache). */
  source: z.string(),
  shape: z.array(z.number().int().min(1)).min(1).max(3),
  bits: z.number().int().min(1).max(8),
  splits: z.object({ train: SplitManifestSchema, test: SplitManifestSchema }),
  warnings: z.array(z.string()),
  createdAt: z.string(),
});
export type CacheManifest = z.infer<typeof CacheManifestSchema>;

const MANIFEST = 'manifest.json';

/** A usable cache, or why there is none (null: no manifest yet, nothing to report). */
export type ManifestCheck = { manifest: CacheManifest; problem: null } | { manifest: null; problem: string | null };

/**
 * The manifest of `dir` if it matches `key` and every file it lists is whole. Otherwise the
 * problem (naming the file at fault, never quoting it), so the caller can say what it rebuilds.
 */
export async function checkManifest(dir: string, key: string): Promise<ManifestCheck> {
  const path = join(dir, MANIFEST);
  if (!(await exists(path))) return { manifest: null, problem: null };
  let manifest: CacheManifest;
  try {
    manifest = await readJsonFile(path, CacheManifestSchema);
  } catch (error) {
    return { manifest: null, problem: messageOf(error) };
  }
  if (manifest.version !== CACHE_VERSION || manifest.key !== key) return { manifest: null, problem: `${path} belongs to another version or file list` };
  const recordLength = manifest.shape.reduce((a, b) => a * b, 1);
  for (const split of ['train', 'test'] as const) {
    const entry = manifest.splits[split];
    for (const shard of entry.shards) {
      const expected = shard.encoding === 'raw' ? shard.records * recordLength : shard.bytes;
      const problem = await sizeProblem(join(dir, shard.file), expected);
      if (problem) return { manifest: null, problem: `cache shard ${join(dir, shard.file)} ${problem}` };
    }
    if (entry.labelsFile) {
      const problem = await sizeProblem(join(dir, entry.labelsFile), entry.count * 4);
      if (problem) return { manifest: null, problem: `cache labels ${join(dir, entry.labelsFile)} ${problem}` };
    }
  }
  return { manifest, problem: null };
}

/** The manifest of `dir` if it is whole and matches `key`, else null. */
export async function readValidManifest(dir: string, key: string): Promise<CacheManifest | null> {
  return (await checkManifest(dir, key)).manifest;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Why `path` is not a regular file of exactly `bytes` bytes, or null when it is. */
export async function sizeProblem(path: string, bytes: number): Promise<string | null> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 'is missing';
  }
  if (!info.isFile()) return 'is not a regular file';
  if (info.size < bytes) return `is truncated (${info.size} of ${bytes} bytes)`;
  if (info.size > bytes) return `is longer than its manifest says (${info.size}, not ${bytes} bytes)`;
  return null;
}

export async function hasSize(path: string, bytes: number): Promise<boolean> {
  return (await sizeProblem(path, bytes)) === null;
}

export async function writeManifest(dir: string, manifest: CacheManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest));
}

export function shardName(split: Split, index: number): string {
  return `${split}-${String(index).padStart(5, '0')}.bin`;
}

/** Readers for both splits of a valid cache. */
export async function openCachedSplits(dir: string, manifest: CacheManifest): Promise<Record<Split, ShardSource>> {
  const open = async (split: Split): Promise<ShardSource> => {
    const entry = manifest.splits[split];
    let labels: Int32Array | undefined;
    if (entry.labelsFile) {
      const path = join(dir, entry.labelsFile);
      const bytes = await readRegularFile(path, entry.count * 4);
      if (bytes.length !== entry.count * 4) throw new DataError(`cache labels ${path} changed size while the cache was opened; open the dataset again`, path);
      labels = new Int32Array(entry.count);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < entry.count; i++) labels[i] = view.getInt32(i * 4, true);
    }
    return new ShardSource(dir, entry.shards, manifest.shape, labels);
  };
  return { train: await open('train'), test: await open('test') };
}

export function int32ToBytes(values: Int32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i]!, true);
  return out;
}

/** Removes sibling cache folders of an outdated key (same source and settings, old file list). */
export async function removeStaleSiblings(parent: string, keep: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return;
  }
  const stale = entries.filter((name) => name !== keep && !isLiveTemp(name));
  await Promise.all(stale.map((name) => rm(join(parent, name), { recursive: true, force: true })));
}

/** A temporary folder of a build another live process is still running. */
function isLiveTemp(name: string): boolean {
  const pid = /\.tmp-(\d+)-/.exec(name)?.[1];
  if (!pid) return false;
  if (Number(pid) === process.pid) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Appends fixed-size records and cuts them into shards of `recordsPerShard`, each written
 * atomically. Filling is synchronous (it runs inside zip callbacks); `drain` writes full shards.
 */
export class ShardWriter {
  readonly shards: ShardEntry[] = [];
  private buffer: Uint8Array;
  private filled = 0;
  private full: { bytes: Uint8Array; index: number }[] = [];
  private nextIndex = 0;

  constructor(
    private readonly dir: string,
    private readonly split: Split,
    private readonly recordLength: number,
    private readonly recordsPerShard: number,
  ) {
    this.buffer = new Uint8Array(recordLength * recordsPerShard);
  }

  get count(): number {
    return this.shards.reduce((n, s) => n + s.records, 0) + this.full.length * this.recordsPerShard + this.filled;
  }

  /** The space of the next record; fill it before calling `append` again. */
  append(): { out: Uint8Array; offset: number } {
    if (this.filled === this.recordsPerShard) {
      this.full.push({ bytes: this.buffer, index: this.nextIndex++ });
      this.buffer = new Uint8Array(this.recordLength * this.recordsPerShard);
      this.filled = 0;
    }
    const offset = this.filled * this.recordLength;
    this.filled += 1;
    return { out: this.buffer, offset };
  }

  async drain(): Promise<void> {
    const pending = this.full;
    this.full = [];
    for (const shard of pending) await this.write(shard.bytes, shard.index, this.recordsPerShard);
  }

  async finish(): Promise<ShardEntry[]> {
    await this.drain();
    if (this.filled > 0) await this.write(this.buffer.subarray(0, this.filled * this.recordLength), this.nextIndex++, this.filled);
    this.filled = 0;
    this.shards.sort((a, b) => (a.file < b.file ? -1 : 1));
    return this.shards;
  }

  private async write(bytes: Uint8Array, index: number, records: number): Promise<void> {
    const file = shardName(this.split, index);
    await writeFileAtomic(join(this.dir, file), bytes);
    this.shards.push({ file, records, bytes: bytes.length, encoding: 'raw' });
  }
}
