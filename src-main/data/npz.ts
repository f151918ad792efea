/**
 * Streams the arrays of an .npz (a zip of .npy files, stored or deflated, as numpy's savez
 * and savez_compressed write them, zip64 headers included) without holding the archive or
 * the arrays in memory: fflate's streaming Unzip inflates entries chunk by chunk, and each
 * array's bytes go to a consumer as they arrive.
 */
import { Unzip, UnzipInflate } from 'fflate';
import { DataError, messageOf, throwIfAborted } from './errors';
import { type NpyHeader, elementCount, parseNpyHeader } from './npy';
import { openRegularFile } from './regularFile';

export interface NpyConsumer {
  /** The array's header; throw a DataError to refuse its dtype or shape. */
  header(header: NpyHeader): void;
  /** The array's bytes in order; the view is only valid during the call. */
  data(chunk: Uint8Array): void;
  /** All bytes have arrived. */
  end(): void;
}

export interface NpzStreamOptions {
  /** Awaited after each chunk of the file is pushed (drain writes there: it bounds memory). */
  afterChunk?: () => Promise<void>;
  /** Bytes of the file read so far, for progress. */
  onBytes?: (bytesRead: number) => void;
  signal?: AbortSignal;
  chunkBytes?: number;
}

/** State of one entry while its bytes stream through. */
class EntryReader {
  private head: Uint8Array = new Uint8Array(0);
  private header: NpyHeader | null = null;
  private expected = 0;
  private received = 0;

  constructor(
    private readonly where: string,
    private readonly consumer: NpyConsumer,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.header === null) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      const header = parseNpyHeader(joined, this.where);
      if (header === null) {
        this.head = joined;
        return;
      }
      this.header = header;
      this.head = new Uint8Array(0);
      this.expected = elementCount(header.shape) * header.itemSize;
      this.consumer.header(header);
      chunk = joined.subarray(header.dataOffset);
    }
    if (chunk.length === 0) return;
    this.received += chunk.length;
    if (this.received > this.expected) {
      throw new DataError(`${this.where} holds more bytes than its shape (${this.header.shape.join('×')}) and dtype ${this.header.descr} declare`, this.where);
    }
    this.consumer.data(chunk);
  }

  end(): void {
    if (this.header === null) throw new DataError(`${this.where} ends inside its .npy header`, this.where);
    if (this.received !== this.expected) {
      throw new DataError(`${this.where} is truncated: ${this.received} of the ${this.expected} bytes its header declares`, this.where);
    }
    this.consumer.end();
  }
}

/**
 * Streams `path`, handing each array (entry name without `.npy`) to the consumer `pick`
 * returns for it (or skipping it when that is null). Resolves with the names of all arrays.
 */
export async function streamNpz(path: string, pick: (name: string) => NpyConsumer | null, options: NpzStreamOptions = {}): Promise<string[]> {
  const handle = await openRegularFile(path);
  try {
    const size = (await handle.stat()).size;
    const magic = new Uint8Array(4);
    await handle.read(magic, 0, 4, 0);
    if (size < 4 || magic[0] !== 0x50 || magic[1] !== 0x4b || (magic[2] !== 3 && magic[2] !== 5)) {
      throw new DataError(`${path} is not an .npz file (no zip signature at its start)`, path);
    }
    const names: string[] = [];
    const unfinished = new Set<string>();
    let failure: unknown = null;
    const unzip = new Unzip((file) => {
      const name = file.name.replace(/\.npy$/, '');
      const where = `${path} (array "${name}")`;
      names.push(name);
      unfinished.add(file.name);
      let reader: EntryReader | null = null;
      try {
        const consumer = pick(name);
        reader = consumer ? new EntryReader(where, consumer) : null;
      } catch (error) {
        failure ??= error;
      }
      file.ondata = (error, chunk, final) => {
        if (failure) return;
        try {
          if (error) throw new DataError(`${where} cannot be inflated: ${error.message}`, path);
          reader?.push(chunk);
          if (final) {
            unfinished.delete(file.name);
            reader?.end();
          }
        } catch (caught) {
          failure = caught;
        }
      };
      file.start();
    });
    unzip.register(UnzipInflate);
    const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
    const buffer = new Uint8Array(Math.min(chunkBytes, Math.max(size, 1)));
    let position = 0;
    while (position < size) {
      throwIfAborted(options.signal, `reading ${path}`);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      // fflate keeps views of what it has not consumed yet: hand it a copy.
      unzip.push(buffer.slice(0, bytesRead), position >= size);
      if (failure) throw failure;
      await options.afterChunk?.();
      options.onBytes?.(position);
    }
    if (failure) throw failure;
    if (unfinished.size > 0) {
      throw new DataError(`${path} is truncated: the zip entry ${[...unfinished].join(', ')} ends before its declared size`, path);
    }
    return names;
  } catch (error) {
    if (error instanceof DataError || (error instanceof Error && error.name === 'AbortError')) throw error;
    throw new DataError(`${path} is truncated or corrupt (not a readable .npz zip archive): ${messageOf(error)}`, path);
  } finally {
    await handle.close();
  }
}

/** A consumer that keeps the whole array (for small ones such as labels). */
export class CollectingConsumer implements NpyConsumer {
  header_: NpyHeader | null = null;
  private chunks: Uint8Array[] = [];
  bytes: Uint8Array | null = null;

  constructor(private readonly check?: (header: NpyHeader) => void) {}

  header(header: NpyHeader): void {
    this.check?.(header);
    this.header_ = header;
  }

  data(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }

  end(): void {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.bytes = out;
  }
}
