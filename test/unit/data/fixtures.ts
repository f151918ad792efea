/**
 * Writers of dataset files in their exact on-disk formats, for tests: IDX, CIFAR-10 binary
 * batches, .npy/.npz (real zip archives) and image files encoded by sharp.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import sharp from 'sharp';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `flowstudio-${prefix}-`));
}

/** A deterministic byte pattern that differs per image, pixel and channel. */
export function patternImage(index: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = (index * 131 + i * 7 + ((i * i) >> 3)) & 0xff;
  return out;
}

/** An IDX file: magic 0x0000 08 <dims>, big-endian dimensions, then the bytes. */
export function idxBytes(dims: number[], data: Uint8Array, magic?: number): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, magic ?? (0x08 << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export interface IdxFixture {
  images: Uint8Array[];
  labels: number[];
}

/** Writes an MNIST-style folder (train and t10k, images and labels), gzipped or raw. */
export async function writeIdxFolder(dir: string, train: IdxFixture, test: IdxFixture, side: number, gzip: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const write = async (name: string, bytes: Uint8Array): Promise<void> => {
    await writeFile(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  };
  for (const [prefix, set] of [['train', train], ['t10k', test]] as const) {
    const pixels = new Uint8Array(set.images.length * side * side);
    set.images.forEach((img, i) => pixels.set(img, i * side * side));
    await write(`${prefix}-images-idx3-ubyte`, idxBytes([set.images.length, side, side], pixels));
    await write(`${prefix}-labels-idx1-ubyte`, idxBytes([set.labels.length], Uint8Array.from(set.labels)));
  }
}

/** HWC → channel-planar (CIFAR-10 and ImageNet32 storage order). */
export function toPlanar(hwc: Uint8Array, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(hwc.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[c * pixels + p] = hwc[p * channels + c]!;
  return out;
}

/** One CIFAR-10 binary batch: per record a label byte then 3072 planar bytes. */
export function cifarBatch(images: Uint8Array[], labels: number[]): Uint8Array {
  const out = new Uint8Array(images.length * 3073);
  images.forEach((img, r) => {
    out[r * 3073] = labels[r]!;
    out.set(toPlanar(img, 1024, 3), r * 3073 + 1);
  });
  return out;
}

/** A .npy file (format version 1.0) of a C-ordered array. */
export function npyBytes(descr: string, shape: number[], data: Uint8Array, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

export function int64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** An .npz: a zip of .npy entries, stored (level 0) or deflated. */
export function npzBytes(arrays: Record<string, Uint8Array>, deflate: boolean): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, npy] of Object.entries(arrays)) entries[`${name}.npy`] = [npy, { level: deflate ? 6 : 0 }];
  return zipSync(entries);
}

/** ImageNet32-style arrays for `images` (HWC 32×32×3) and 1-based `labels`. */
export function imagenetArrays(images: Uint8Array[], labels: number[]): Record<string, Uint8Array> {
  const data = new Uint8Array(images.length * 3072);
  images.forEach((img, i) => data.set(toPlanar(img, 1024, 3), i * 3072));
  return { data: npyBytes('|u1', [images.length, 3072], data), labels: npyBytes('<i8', [labels.length], int64Bytes(labels)) };
}

export type ImageKind = 'png' | 'jpeg' | 'webp';

/** Encodes HWC bytes as an image file with sharp (PNG and WebP lossless: exact). */
export async function writeImage(path: string, pixels: Uint8Array, width: number, height: number, kind: ImageKind, channels = 3): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels: channels as 1 | 3 } });
  if (kind === 'png') image = image.png();
  else if (kind === 'jpeg') image = image.jpeg({ quality: 95 });
  else image = image.webp({ lossless: true });
  await writeFile(path, await image.toBuffer());
}

/** A smooth image (JPEG keeps smooth content close; noise would not be a fair codec test). */
export function smoothImage(index: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = (y * w + x) * 3;
      out[at] = Math.round(((index * 20) % 56) + (x * 199) / w);
      out[at + 1] = Math.round((y * 255) / h);
      out[at + 2] = Math.round(128 + 100 * Math.sin((x + y + index) / 9));
    }
  }
  return out;
}

/**
 * A photo-like image: smooth colour fields, a disc with an edge, and seeded pixel noise of a
 * few levels (so PNG compression is not flattered by flat colour).
 */
export function photoImage(index: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  let state = (index + 1) * 2654435761;
  const cx = w * (0.35 + 0.03 * (index % 10));
  const cy = h * 0.5;
  const r = Math.min(h, w) * 0.3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        const noise = ((state >>> 24) - 128) / 16;
        const field = 110 + 70 * Math.sin((x * (c + 1)) / (17 + index) + y / 29) + (inside ? 40 : 0);
        out[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(field + noise)));
      }
    }
  }
  return out;
}
