/**
 * Reads examples from an on-disk cache of shards: each shard file is a run of fixed-size
 * records (one decoded example each). Reads go straight from the file into the batch buffer
 * with positioned reads, so memory holds batches only, never shards or the whole split.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, messageOf } from './errors';
import type { RecordSource } from './source';

export interface ShardEntry {
  /** File name inside the cache folder. */
  file: string;
  records: number;
}

/** Open file handles kept at most (CelebA-HQ at 1024² makes thousands of shards). */
const MAX_OPEN_HANDLES = 32;
/** Handles unused this long are closed, so a dataset nobody closes does not pin descriptors. */
const IDLE_CLOSE_MS = 10_000;

export class ShardSource implements RecordSource {
  readonly count: number;
  readonly kind = 'uint8' as const;
  readonly onDisk = true;
  /** First record index of each shard, and one past the end. */
  private readonly starts: number[];
  private readonly handles = new Map<number, { handle: Promise<FileHandle>; refs: number }>();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly shards: ShardEntry[],
    readonly recordLength: number,
    readonly labels: Int32Array | undefined,
  ) {
    this.starts = [0];
    for (const shard of shards) this.starts.push(this.starts[this.starts.length - 1]! + shard.records);
    this.count = this.starts[this.starts.length - 1]!;
  }

  get residentBytes(): number {
    return this.labels?.byteLength ?? 0;
  }

  /** The shard holding record `index` (binary search over the starts). */
  private shardOf(index: number): number {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Opens (or reuses) a shard's handle and counts the user; pair with `release`. */
  private acquire(shard: number): Promise<FileHandle> {
    let slot = this.handles.get(shard);
    if (slot) {
      // Map order is insertion order: re-inserting keeps the least recently used first.
      this.handles.delete(shard);
    } else {
      const path = join(this.dir, this.shards[shard]!.file);
      const opened: { handle: Promise<FileHandle>; refs: number } = { handle: open(path, 'r'), refs: 0 };
      // Forget a handle that failed to open, so a later read tries again.
      opened.handle.catch(() => {
        if (this.handles.get(shard) === opened) this.handles.delete(shard);
      });
      slot = opened;
    }
    this.handles.set(shard, slot);
    slot.refs += 1;
    return slot.handle;
  }

  private release(shard: number): void {
    const slot = this.handles.get(shard);
    if (slot) slot.refs -= 1;
    this.closeIdle();
    this.idleTimer?.refresh();
    if (!this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.closeIdle(0);
      }, IDLE_CLOSE_MS);
      // Never keep the process alive just to close files.
      this.idleTimer.unref();
    }
  }

  /** Closes the least recently used handles nobody is reading from, down to the limit. */
  private closeIdle(keep = MAX_OPEN_HANDLES): void {
    if (this.handles.size <= keep) return;
    for (const [shard, slot] of this.handles) {
      if (this.handles.size <= keep) break;
      if (slot.refs > 0) continue;
      this.handles.delete(shard);
      void slot.handle.then((h) => h.close()).catch(() => undefined);
    }
  }

  async read(indices: ArrayLike<number>, out: Uint8Array | Float32Array): Promise<void> {
    if (!(out instanceof Uint8Array)) throw new TypeError('shard sources hold bytes');
    const len = this.recordLength;
    // Coalesce runs of consecutive records that land in consecutive slots (unshuffled reads).
    const runs: { shard: number; first: number; slot: number; n: number }[] = [];
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (index < 0 || index >= this.count) throw new RangeError(`record ${index} outside 0..${this.count - 1}`);
      const last = runs[runs.length - 1];
      if (last && last.first + last.n === index && last.slot + last.n === i && this.starts[last.shard + 1]! > index) {
        last.n += 1;
      } else {
        runs.push({ shard: this.shardOf(index), first: index, slot: i, n: 1 });
      }
    }
    await Promise.all(
      runs.map(async (run) => {
        const path = join(this.dir, this.shards[run.shard]!.file);
        const bytes = run.n * len;
        const position = (run.first - this.starts[run.shard]!) * len;
        let bytesRead: number;
        try {
          const fh = await this.acquire(run.shard);
          bytesRead = (await fh.read(out, run.slot * len, bytes, position)).bytesRead;
        } catch (error) {
          throw new DataError(`cache shard ${path} cannot be read (${messageOf(error)}); delete the cache folder ${this.dir} to rebuild it`, path);
        } finally {
          this.release(run.shard);
        }
        if (bytesRead !== bytes) {
          throw new DataError(`cache shard ${path} is shorter than its manifest says; delete the cache folder ${this.dir} to rebuild it`, path);
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(handles.map(async (slot) => (await slot.handle).close()));
  }
}
