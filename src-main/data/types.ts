/**
 * The contract between the dataset loaders and their users (training, evaluation, the data
 * commands, theory). Images are NHWC integers quantised to `bits`; 2-D toys are float points.
 */
import type { DataSpec } from '../../src-shared/dataSpec';

export type Split = 'train' | 'test';

export interface DatasetInfo {
  /** Short display name, e.g. "Fashion-MNIST". */
  name: string;
  format: DataSpec['format'];
  /** The spec string it was opened from. */
  spec: string;
  /** [height, width, channels] for images, [2] for 2-D toys. */
  shape: number[];
  /** Bits per channel of the values batches deliver (images); 0 for toys (continuous). */
  bits: number;
  trainCount: number;
  testCount: number;
  /** Problems met while scanning (skipped files and why), each naming the file. */
  warnings: string[];
}

/** A batch: `n` examples laid out contiguously (NHWC for images, [n, 2] for toys). */
export interface Batch {
  /** Images: integers in [0, 2^bits) as Uint8Array. Toys: Float32Array points. */
  data: Uint8Array | Float32Array;
  n: number;
  /** Shape of one example (same as DatasetInfo.shape). */
  shape: number[];
  labels?: Int32Array;
  /** Where the batch sits in the reproducible stream (for exact resume). */
  position: StreamPosition;
}

/** A point in the seeded stream of batches: epoch and offset inside the epoch's permutation. */
export interface StreamPosition {
  epoch: number;
  offset: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle seed; epoch e uses a permutation derived from (seed, e). */
  seed: number;
  /** Shuffle (train) or keep file order (test/eval). */
  shuffle: boolean;
  /** Resume the stream here (the `position` after the last batch consumed). Default {0, 0}. */
  start?: StreamPosition;
  /**
   * Stop after this many epochs (default: endless for shuffle, one epoch without). Counted from
   * epoch 0, not from `start`, so a resumed stream ends where the uninterrupted one would.
   */
  epochs?: number;
  /** Drop the last incomplete batch of an epoch (training) or keep it (evaluation). */
  dropLast?: boolean;
  /** Limit to the first `limit` examples of the split (evaluation subsets, --eval-n). */
  limit?: number;
}

export interface Example {
  data: Uint8Array | Float32Array;
  shape: number[];
  label?: number;
  /** Bits per channel of `data` (images from a dataset); absent means 8 (or continuous toys). */
  bits?: number;
}

export interface Dataset {
  readonly info: DatasetInfo;
  /** A reproducible stream of batches; prefetches the next batch while the current one is used. */
  batches(split: Split, options: BatchOptions): AsyncIterable<Batch>;
  /** One example by index within the split (file order). */
  get(split: Split, index: number): Promise<Example>;
  /** Releases file handles and caches. */
  close(): Promise<void>;
}

/** What a dataset's batch streams hold in memory (the bounded-memory accounting). */
export interface MemoryStats {
  /** Bytes of decoded examples that streams hold now (batches prefetched or being consumed). */
  heldBytes: number;
  /** The most `heldBytes` ever reached. */
  peakBytes: number;
  /** Each stream keeps its own holdings at or under this. */
  budgetBytes: number;
  /** Bytes of the dataset held in memory for its whole life (small formats); 0 when on disk. */
  residentBytes: number;
  /** True when examples are read from the on-disk shard cache. */
  streamedFromDisk: boolean;
}

/** What `openDataset` returns: the contract plus accounting for tests, benchmarks and the UI. */
export interface OpenedDataset extends Dataset {
  memoryStats(): MemoryStats;
}

export interface ProgressUpdate {
  task: string;
  done: number;
  total: number | null;
  ratePerSecond: number | null;
  etaSeconds: number | null;
  message?: string;
}

export interface OpenOptions {
  /** Folder for decoded caches (image folders); default `<cwd>/.cache/datasets`. */
  cacheDir?: string;
  /** Bytes of decoded examples held in memory at most while streaming. */
  memoryBudgetBytes?: number;
  /** Progress of the first scan and the cache build. */
  onProgress?: (update: ProgressUpdate) => void;
  /** Warnings (skipped files) as they happen. */
  onWarning?: (message: string) => void;
  /**
   * Cancels a scan or cache build (the open rejects with an AbortError within one file's
   * work); completed shards are kept and reused by the next open.
   */
  signal?: AbortSignal;
  /** Target size of one cache shard in bytes (default 32 MiB, at most half the memory budget). */
  shardBytes?: number;
  /** How image-folder caches store records: `raw`, or lossless `png` (default: PNG from 512² or past 16 GiB raw). */
  shardEncoding?: 'raw' | 'png';
  /** Bounds of an image-folder scan (defaults: 2 000 000 entries, 32 folders deep). */
  scanLimits?: { maxEntries?: number; maxDepth?: number };
}
