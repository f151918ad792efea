/**
 * Builds the shard cache of an image folder. A shard holds the records of a fixed run of
 * consecutive files of its split, so a build can resume: each shard is written atomically
 * (temporary file + rename) and then a small JSON note of what it holds; a shard whose note
 * is valid and whose file has the size the note says is kept, anything else is decoded again.
 *
 * Images are decoded (and, for PNG shards, encoded again) a few at a time in sharp's thread
 * pool. Build memory: the stored records of one shard plus one decoded image per decode.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { shardName, sizeProblem } from './cache';
import { messageOf, throwIfAborted } from './errors';
import { exists, writeFileAtomic } from './files';
import type { FolderFile } from './folderScan';
import { loadImageFile } from './imageFile';
import { ProgressTracker } from './progress';
import { readJsonFile } from './regularFile';
import { type ShardEncoding, type ShardEntry, ShardEntrySchema, checksum, encodeRecord } from './shardFormat';
import type { ProgressUpdate, Split } from './types';

/** A shard's note, written after the shard itself: its presence marks the shard complete. */
const ShardNoteSchema = z.object({
  /** Files of the split this shard covers (decoded or skipped). */
  files: z.number().int().min(0),
  warnings: z.array(z.string()),
  entry: ShardEntrySchema,
});
type ShardNote = z.infer<typeof ShardNoteSchema>;

export interface BuildSettings {
  folder: string;
  /** [size, size, 3] */
  shape: readonly number[];
  bits: number;
  encoding: ShardEncoding;
  filesPerShard: number;
  onProgress?: (update: ProgressUpdate) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Images decoded at once (default: the number of cores, at least 2). */
  concurrency?: number;
}

export class FolderBuilder {
  /** Skipped files (they go into the manifest and are repeated on every open). */
  readonly warnings: string[] = [];
  private progress: ProgressTracker;
  private done = 0;
  private readonly reusable = new Map<string, ShardNote>();

  constructor(
    private readonly settings: BuildSettings,
    private readonly total: number,
  ) {
    this.progress = new ProgressTracker('cache', total, settings.onProgress);
  }

  /** Finds the shards an interrupted build completed, and counts them as done. */
  async resume(bySplit: Record<Split, FolderFile[]>): Promise<void> {
    let reused = 0;
    for (const split of ['train', 'test'] as const) {
      const shards = Math.ceil(bySplit[split].length / this.settings.filesPerShard);
      for (let k = 0; k < shards; k++) {
        throwIfAborted(this.settings.signal, `checking the cache of ${this.settings.folder}`);
        const expectedFiles = Math.min(this.settings.filesPerShard, bySplit[split].length - k * this.settings.filesPerShard);
        const note = await this.readNote(shardName(split, k), expectedFiles);
        if (note) {
          this.reusable.set(shardName(split, k), note);
          reused += note.files;
        }
      }
    }
    if (reused > 0) {
      this.progress = new ProgressTracker('cache', this.total, this.settings.onProgress, reused);
      this.done = reused;
      this.progress.update(reused, `resuming: ${reused} images already decoded`, true);
    }
  }

  /** A finished shard's note, or null (with a warning naming the file when it is damaged). */
  private async readNote(file: string, expectedFiles: number): Promise<ShardNote | null> {
    const notePath = join(this.settings.folder, `${file}.json`);
    const shardPath = join(this.settings.folder, file);
    if (!(await exists(notePath))) return null;
    let note: ShardNote;
    try {
      note = await readJsonFile(notePath, ShardNoteSchema, 64 * 1024 * 1024);
    } catch (error) {
      this.note(`${messageOf(error)}: its shard is decoded again`);
      return null;
    }
    if (note.entry.file !== file || note.entry.encoding !== this.settings.encoding || note.files !== expectedFiles) {
      this.note(`cache note ${notePath} describes another shard: the shard is decoded again`);
      return null;
    }
    const problem = await sizeProblem(shardPath, note.entry.bytes);
    if (problem) {
      this.note(`cache shard ${shardPath} ${problem}: it is decoded again`);
      return null;
    }
    return note;
  }

  async build(split: Split, files: FolderFile[]): Promise<ShardEntry[]> {
    const shards: ShardEntry[] = [];
    const per = this.settings.filesPerShard;
    for (let k = 0; k * per < files.length; k++) {
      const file = shardName(split, k);
      let note = this.reusable.get(file);
      if (note) {
        for (const w of note.warnings) this.warn(w);
      } else {
        throwIfAborted(this.settings.signal, `building the cache of ${this.settings.folder}`);
        note = await this.decodeShard(file, files.slice(k * per, (k + 1) * per));
      }
      if (note.entry.records > 0) shards.push(note.entry);
    }
    return shards;
  }

  private async decodeShard(file: string, chunk: FolderFile[]): Promise<ShardNote> {
    const { shape, bits, encoding, signal } = this.settings;
    const stored: (Uint8Array | null)[] = new Array(chunk.length).fill(null);
    const warnings: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunk.length) {
        const i = next++;
        throwIfAborted(signal, `building the cache of ${this.settings.folder}`);
        const source = chunk[i]!;
        try {
          const pixels = await loadImageFile(source.path, { size: shape[0]!, channels: 3, bits });
          stored[i] = await encodeRecord(pixels, shape, encoding);
        } catch (error) {
          // Decoding order differs from file order; the warnings are kept in file order.
          warnings[i] = `${source.path}: skipped, ${messageOf(error).replace(`${source.path} `, '')}`;
        }
        this.done += 1;
        this.progress.update(this.done, source.name);
      }
    };
    const concurrency = this.settings.concurrency ?? Math.max(2, availableParallelism());
    await Promise.all(Array.from({ length: Math.min(concurrency, chunk.length) }, worker));
    const good = stored.filter((d): d is Uint8Array => d !== null);
    const ends: number[] = [];
    let at = 0;
    for (const record of good) {
      at += record.length;
      ends.push(at);
    }
    const entry: ShardEntry = { file, records: good.length, bytes: at, encoding, crc32: good.map(checksum) };
    if (encoding !== 'raw') entry.ends = ends;
    const note: ShardNote = { files: chunk.length, warnings: warnings.filter((w) => w !== undefined), entry };
    for (const w of note.warnings) this.warn(w);
    await writeFileAtomic(join(this.settings.folder, file), good);
    await writeFileAtomic(join(this.settings.folder, `${file}.json`), JSON.stringify(note));
    return note;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.settings.onWarning?.(message);
  }

  /** Problems with the cache itself: reported as they happen, not kept in the manifest. */
  readonly cacheNotes: string[] = [];
  private note(message: string): void {
    this.cacheNotes.push(message);
    this.settings.onWarning?.(message);
  }

  finish(): void {
    this.progress.finish();
  }
}
