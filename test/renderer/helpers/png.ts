/**
 * A tiny PNG encoder for the fake engine (no zlib: stored deflate blocks). Pure TypeScript so it
 * runs in happy-dom tests and in Node alike; the images only need to be valid and distinct.
 */
import type { Png } from '../../../src-shared/protocol';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function chunk(type: string, data: Uint8Array): number[] {
  const typed = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) typed[i] = type.charCodeAt(i);
  typed.set(data, 4);
  return [...u32(data.length), ...typed, ...u32(crc32(typed))];
}

function deflateStored(raw: Uint8Array): Uint8Array {
  const out: number[] = [0x78, 0x01];
  for (let pos = 0; pos < raw.length || pos === 0; pos += 65535) {
    const block = raw.subarray(pos, Math.min(raw.length, pos + 65535));
    const last = pos + 65535 >= raw.length ? 1 : 0;
    out.push(last, block.length & 0xff, block.length >> 8, ~block.length & 0xff, (~block.length >> 8) & 0xff, ...block);
    if (raw.length === 0) break;
  }
  out.push(...u32(adler32(raw)));
  return new Uint8Array(out);
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Encodes RGB pixels (width × height × 3) as a PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Png {
  const raw = new Uint8Array(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const header = new Uint8Array([...u32(width), ...u32(height), 8, 2, 0, 0, 0]);
  const bytes = new Uint8Array([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...chunk('IHDR', header),
    ...chunk('IDAT', deflateStored(raw)),
    ...chunk('IEND', new Uint8Array(0)),
  ]);
  return { base64: toBase64(bytes), width, height };
}

/** A deterministic picture from a few numbers: smooth colour blobs that change with every input. */
export function patternPng(width: number, height: number, ...params: number[]): Png {
  const rgb = new Uint8Array(width * height * 3);
  const [a = 0, b = 0, c = 0, d = 0] = params;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const u = x / width;
      const v = y / height;
      rgb[i] = Math.round(127 + 127 * Math.sin(6.28 * (u * (1 + a) + b * 0.37)));
      rgb[i + 1] = Math.round(127 + 127 * Math.sin(6.28 * (v * (1 + c) + a * 0.51 + d * 0.13)));
      rgb[i + 2] = Math.round(127 + 127 * Math.cos(6.28 * ((u + v) * 0.8 + b * 0.23 + c * 0.7)));
    }
  }
  return encodePng(width, height, rgb);
}
