/**
 * Reads examples from an on-disk cache of shards (./shardFormat): raw records go straight from
 * the file into the batch buffer with positioned reads; PNG records are read and decoded in
 * sharp's thread pool, a few at a time. Memory holds batches and the records being decoded,
 * never shards or the whole split.
 *
 * A record whose bytes fail their checksum, or a shard shorter than its manifest says, is
 * refused with an error naming the shard, and the shard is deleted so that the next open of
 * the dataset decodes it again (the rest of the cache is kept).
 */
import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, messageOf } from './errors';
import { type ShardEntry, checksum, decodePngRecord } from './shardFormat';
import { ShardHandles } from './shardHandles';
import type { RecordSource } from './source';

export type { ShardEntry } from './shardFormat';

/** A run of records read with one positioned read. */
interface Run {
  shard: number;
  /** First record index within the shard. */
  first: number;
  /** First slot in the output. */
  slot: number;
  n: number;
}

export class ShardSource implements RecordSource {
  readonly count: number;
  readonly kind = 'uint8' as const;
  readonly onDisk = true;
  readonly recordLength: number;
  /** True when reading a record means decoding it (the stream reads further ahead). */
  readonly decodes: boolean;
  /** First record index of each shard, and one past the end. */
  private readonly starts: number[];
  private readonly handles: ShardHandles;
  /** PNG decodes in flight at most, for this source (each holds one decoded record). */
  private readonly maxDecodes = Math.max(2, availableParallelism());
  private decoding = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly dir: string,
    private readonly shards: ShardEntry[],
    private readonly shape: readonly number[],
    readonly labels: Int32Array | undefined,
  ) {
    this.recordLength = shape.reduce((a, b) => a * b, 1);
    this.starts = [0];
    for (const shard of shards) this.starts.push(this.starts[this.starts.length - 1]! + shard.records);
    this.count = this.starts[this.starts.length - 1]!;
    this.decodes = shards.some((s) => s.encoding !== 'raw');
    this.handles = new ShardHandles(shards.map((s) => join(dir, s.file)));
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

  async read(indices: ArrayLike<number>, out: Uint8Array | Float32Array): Promise<void> {
    if (!(out instanceof Uint8Array)) throw new TypeError('shard sources hold bytes');
    // Coalesce runs of consecutive records of a raw shard that land in consecutive slots.
    const runs: Run[] = [];
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`record ${index} outside 0..${this.count - 1}`);
      const last = runs[runs.length - 1];
      const shard = this.shardOf(index);
      const first = index - this.starts[shard]!;
      if (last && last.shard === shard && this.shards[shard]!.encoding === 'raw' && last.first + last.n === first && last.slot + last.n === i) last.n += 1;
      else runs.push({ shard, first, slot: i, n: 1 });
    }
    await Promise.all(runs.map((run) => (this.shards[run.shard]!.encoding === 'raw' ? this.readRaw(run, out) : this.readPng(run, out))));
  }

  private async readRaw(run: Run, out: Uint8Array): Promise<void> {
    const len = this.recordLength;
    const shard = this.shards[run.shard]!;
    const target = out.subarray(run.slot * len, (run.slot + run.n) * len);
    await this.readBytes(run.shard, target, run.first * len);
    if (shard.crc32) {
      for (let k = 0; k < run.n; k++) this.verify(run.shard, run.first + k, target.subarray(k * len, (k + 1) * len));
    }
  }

  private async readPng(run: Run, out: Uint8Array): Promise<void> {
    const shard = this.shards[run.shard]!;
    const ends = shard.ends!;
    const start = run.first === 0 ? 0 : ends[run.first - 1]!;
    await this.decodeSlot();
    try {
      const stored = new Uint8Array(ends[run.first]! - start);
      await this.readBytes(run.shard, stored, start);
      this.verify(run.shard, run.first, stored);
      await decodePngRecord(stored, this.shape, out, run.slot * this.recordLength, `record ${run.first}`).catch((error: unknown) => {
        throw this.damaged(run.shard, messageOf(error));
      });
    } finally {
      this.decodeDone();
    }
  }

  /** Fills `target` from the shard at `position`, or fails naming the shard. */
  private async readBytes(shard: number, target: Uint8Array, position: number): Promise<void> {
    let bytesRead: number;
    try {
      bytesRead = await this.handles.read(shard, target, position);
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`cache shard ${this.pathOf(shard)} cannot be read (${messageOf(error)}); delete the cache folder ${this.dir} to rebuild it`, this.pathOf(shard));
    }
    if (bytesRead !== target.length) throw this.damaged(shard, 'it is shorter than its manifest says');
  }

  private verify(shard: number, record: number, stored: Uint8Array): void {
    const expected = this.shards[shard]!.crc32?.[record];
    if (expected !== undefined && checksum(stored) !== expected) throw this.damaged(shard, `record ${record} fails its checksum`);
  }

  private pathOf(shard: number): string {
    return join(this.dir, this.shards[shard]!.file);
  }

  /** The error for a damaged shard; the shard is deleted so the next open decodes it again. */
  private damaged(shard: number, problem: string): DataError {
    const path = this.pathOf(shard);
    void rm(path, { force: true }).catch(() => undefined);
    return new DataError(`cache shard ${path} is damaged (${problem}): it was removed and is decoded again the next time the dataset is opened`, path);
  }

  private async decodeSlot(): Promise<void> {
    if (this.decoding < this.maxDecodes) {
      this.decoding += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private decodeDone(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.decoding -= 1;
  }

  async close(): Promise<void> {
    await this.handles.close();
  }
}
