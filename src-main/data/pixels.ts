/** Pixel layout and quantisation shared by every image format. */

/**
 * n-bit quantisation as in Glow (5-bit CelebA-HQ): keep the top n bits, k >> (8 − n), so
 * values lie in [0, 2^n). In place; a no-op for 8 bits.
 */
export function quantiseInPlace(data: Uint8Array, bits: number): void {
  if (bits >= 8) return;
  const shift = 8 - bits;
  // Four bytes per step (a 1024² image is 3 MiB): shifting a 32-bit word moves each byte's
  // low bits into its neighbour's top, which the per-byte mask then clears.
  const head = Math.min(data.length, (4 - (data.byteOffset % 4)) % 4);
  for (let i = 0; i < head; i++) data[i] = data[i]! >> shift;
  const words = Math.floor((data.length - head) / 4);
  if (words > 0) {
    const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
    const mask = ((0xff >> shift) * 0x01010101) >>> 0;
    for (let i = 0; i < words; i++) view[i] = (view[i]! >>> shift) & mask;
  }
  for (let i = head + words * 4; i < data.length; i++) data[i] = data[i]! >> shift;
}

/**
 * Copies one channel-planar image (all R, then all G, then all B: CIFAR-10 and ImageNet32
 * as distributed) into interleaved HWC order at `out[outOffset..]`.
 */
export function planarToHwc(planar: Uint8Array, pixels: number, channels: number, out: Uint8Array, outOffset: number): void {
  for (let c = 0; c < channels; c++) {
    const base = c * pixels;
    for (let p = 0; p < pixels; p++) out[outOffset + p * channels + c] = planar[base + p]!;
  }
}

/** Maps n-bit values back to 0..255 for display (0 → 0, 2^n − 1 → 255). */
export function toDisplayRange(data: Uint8Array, bits: number): Uint8Array {
  if (bits >= 8) return data;
  const max = (1 << bits) - 1;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round((data[i]! * 255) / max);
  return out;
}
