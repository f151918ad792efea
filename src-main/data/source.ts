/**
 * A split's examples as fixed-size records, wherever they live: in memory (small formats,
 * toys) or in an on-disk shard cache (image folders, ImageNet32). The stream and the Dataset
 * are written once against this.
 */
export interface RecordSource {
  /** Number of examples. */
  readonly count: number;
  /** Elements (bytes for images, floats for toys) per example. */
  readonly recordLength: number;
  readonly kind: 'uint8' | 'float32';
  /** Labels of every example, in order (small enough to keep in memory), if the format has any. */
  readonly labels: Int32Array | undefined;
  /** Bytes kept in memory for the source's whole life. */
  readonly residentBytes: number;
  readonly onDisk: boolean;
  /** True when a read decodes (PNG shards): the stream then reads further ahead. */
  readonly decodes?: boolean;
  /** Copies examples `indices[i]` into `out` at record slot `i`. */
  read(indices: ArrayLike<number>, out: Uint8Array | Float32Array): Promise<void>;
  /** Releases file handles; the source stays usable and reopens what it needs. */
  close(): Promise<void>;
}

/** Examples held in one typed array. */
export class MemorySource implements RecordSource {
  readonly count: number;
  readonly kind: 'uint8' | 'float32';
  readonly onDisk = false;

  constructor(
    private readonly data: Uint8Array | Float32Array,
    readonly recordLength: number,
    readonly labels: Int32Array | undefined,
  ) {
    this.count = Math.floor(data.length / recordLength);
    this.kind = data instanceof Float32Array ? 'float32' : 'uint8';
  }

  get residentBytes(): number {
    return this.data.byteLength + (this.labels?.byteLength ?? 0);
  }

  async read(indices: ArrayLike<number>, out: Uint8Array | Float32Array): Promise<void> {
    const len = this.recordLength;
    for (let i = 0; i < indices.length; i++) {
      const start = indices[i]! * len;
      out.set(this.data.subarray(start, start + len), i * len);
    }
  }

  async close(): Promise<void> {}
}
