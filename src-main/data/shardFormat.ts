/**
 * How examples are stored in cache shards. A shard file is its records one after another, each
 * either `raw` (the quantised HWC bytes) or `png` (those bytes as a lossless PNG). Raw is the
 * fastest to read and suits small images; PNG is what makes a 1024² folder fit on a disk: a
 * 5-bit 1024×1024 photo is 3 MiB raw, about a quarter of that as PNG (bench/data.ts), and is
 * decoded in sharp's thread pool, not on the event loop.
 *
 * The manifest lists, per shard, where each record ends and the CRC-32 of its stored bytes, so
 * a shard cut short is seen when the cache is opened and a damaged record when it is read.
 */
import { crc32 } from 'node:zlib';
import sharp, { type OutputInfo } from 'sharp';
import { z } from 'zod';
import { DataError, messageOf } from './errors';

export const ShardEncodingSchema = z.enum(['raw', 'png']);
export type ShardEncoding = z.infer<typeof ShardEncodingSchema>;

/** Names the cache writes; a manifest naming anything else (`../x`, `/etc/...`) is refused. */
export const SHARD_FILE = /^(train|test)-\d{5}\.bin$/;

const Uint32 = z.number().int().min(0).max(0xffffffff);

export const ShardEntrySchema = z
  .object({
    /** File name inside the cache folder. */
    file: z.string().regex(SHARD_FILE),
    records: z.number().int().min(0),
    /** The shard file's exact size. */
    bytes: z.number().int().min(0),
    encoding: ShardEncodingSchema,
    /** End offset of each record in the file (PNG records vary in size); absent for raw. */
    ends: z.array(z.number().int().min(0)).optional(),
    /** CRC-32 of each record's stored bytes; absent in caches whose records are not checked. */
    crc32: z.array(Uint32).optional(),
  })
  .refine((s) => s.ends === undefined || (s.ends.length === s.records && (s.records === 0 || s.ends[s.records - 1] === s.bytes)), {
    message: 'record ends do not match the record count and size',
  })
  .refine((s) => s.crc32 === undefined || s.crc32.length === s.records, { message: 'checksums do not match the record count' })
  .refine((s) => s.encoding === 'raw' || s.ends !== undefined, { message: 'PNG records need their ends' });
export type ShardEntry = z.infer<typeof ShardEntrySchema>;

/** Raw caches larger than this are stored as PNG instead (CelebA-HQ 256² raw: 5.9 GB, kept raw). */
const RAW_CACHE_LIMIT_BYTES = 16 * 1024 ** 3;

/**
 * The default encoding for `count` images of `side × side × 3`: raw, the fastest to stream
 * (bench/data.ts: ~10× PNG at 256²), unless the images are 512² or larger or the raw cache
 * would pass 16 GiB; then PNG, about a quarter of the size (a 1024² CelebA-HQ: ~24 GB, not 94).
 */
export function defaultEncoding(side: number, count: number): ShardEncoding {
  return side >= 512 || count * side * side * 3 > RAW_CACHE_LIMIT_BYTES ? 'png' : 'raw';
}

/**
 * PNG settings: zlib level 3 with adaptive row filters. Tried once on one 5-bit 1024² image
 * like bench/data.ts's: 795 kB, ~70–100 ms to encode; level 6 with filters 742 kB but ~6×
 * slower to encode; no filters 1.04 MB. Lossless at every setting except palette modes
 * (which sharp turns on at effort 1), hence `palette: false`.
 */
const PNG_OPTIONS = { compressionLevel: 3, adaptiveFiltering: true, palette: false } as const;

/** The stored bytes of one record of `shape` ([h, w, 3] or [h, w, 1]). */
export async function encodeRecord(pixels: Uint8Array, shape: readonly number[], encoding: ShardEncoding): Promise<Uint8Array> {
  if (encoding === 'raw') return pixels;
  const [height, width, channels] = shape as [number, number, 1 | 3];
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } })
    .png(PNG_OPTIONS)
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/**
 * Decodes a stored PNG record into `out` at `offset`; a DataError naming `where` when it is
 * not a PNG of exactly `shape` (a damaged cache, not bad user data).
 */
export async function decodePngRecord(stored: Uint8Array, shape: readonly number[], out: Uint8Array, offset: number, where: string): Promise<void> {
  const [height, width, channels] = shape as [number, number, number];
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(stored, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DataError(`${where} cannot be decoded (${messageOf(error).split('\n')[0]})`, where);
  }
  const { data, info } = decoded;
  if (info.width !== width || info.height !== height || info.channels !== channels || data.length !== width * height * channels) {
    throw new DataError(`${where} decodes to ${info.width}×${info.height}×${info.channels}, not ${height}×${width}×${channels}`, where);
  }
  out.set(data, offset);
}

/** CRC-32 of stored record bytes (zlib's, as in PNG and gzip). */
export function checksum(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}
