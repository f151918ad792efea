/**
 * The on-disk cache of decoded examples: one folder per (source, decoding settings, file
 * list), holding shard files of fixed-size records, optional label files and a manifest.
 * The manifest is written last and atomically, and is trusted only when every shard it lists
 * has exactly the size it says: a build that was interrupted, or a shard cut short, is seen
 * as "no cache" and rebuilt.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files';
import { type ShardEntry, ShardSource } from './shardSource';
import type { Split } from './types';

export const CACHE_VERSION = 1;

/** `FLOWSTUDIO_CACHE_DIR`, else `<cwd>/.cache/datasets`. */
export function defaultCacheDir(): string {
  return process.env['FLOWSTUDIO_CACHE_DIR'] ?? join(process.cwd(), '.cache', 'datasets');
}

/** A short stable hash of any JSON-able value (cache keys). */
export function hashKey(value: unknown, length = 16): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}

export interface SplitManifest {
  shards: ShardEntry[];
  count: number;
  /** Int32 little-endian labels of every record, when the format has labels. */
  labelsFile?: string;
}

export interface CacheManifest {
  version: number;
  format: string;
  /** Hash of everything the content depends on. */
  key: string;
  /** The source folder (for people looking inside the cache). */
  source: string;
  shape: number[];
  bits: number;
  recordLength: number;
  splits: Record<Split, SplitManifest>;
  warnings: string[];
  createdAt: string;
}

const MANIFEST = 'manifest.json';

/** The manifest of `dir` if it matches `key` and every file it lists is whole; else null. */
export async function readValidManifest(dir: string, key: string): Promise<CacheManifest | null> {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as CacheManifest;
  } catch {
    return null;
  }
  if (manifest.version !== CACHE_VERSION || manifest.key !== key) return null;
  for (const split of ['train', 'test'] as const) {
    const entry = manifest.splits?.[split];
    if (!entry || !Array.isArray(entry.shards)) return null;
    for (const shard of entry.shards) {
      if (!(await hasSize(join(dir, shard.file), shard.records * manifest.recordLength))) return null;
    }
    if (entry.labelsFile && !(await hasSize(join(dir, entry.labelsFile), entry.count * 4))) return null;
  }
  return manifest;
}

export async function hasSize(path: string, bytes: number): Promise<boolean> {
  try {
    return (await stat(path)).size === bytes;
  } catch {
    return false;
  }
}

export async function writeManifest(dir: string, manifest: CacheManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 1));
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
      const bytes = await readFile(join(dir, entry.labelsFile));
      labels = new Int32Array(entry.count);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < entry.count; i++) labels[i] = view.getInt32(i * 4, true);
    }
    return new ShardSource(dir, entry.shards, manifest.recordLength, labels);
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
    this.shards.push({ file, records });
  }
}
