/** PNG encoding of dataset examples and model outputs (base64 for the protocol). */
import sharp from 'sharp';
import type { Png } from '../../src-shared/protocol/common';
import { toDisplayRange } from './pixels';
import type { Example } from './types';

function imageShape(shape: number[], what: string): [number, number, number] {
  const [h, w, c] = shape;
  if (shape.length !== 3 || !h || !w || (c !== 1 && c !== 3)) {
    throw new Error(`${what}: cannot encode shape [${shape.join(', ')}] as PNG (need [height, width, 1 or 3])`);
  }
  return [h, w, c];
}

async function encodeRaw(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Png> {
  const buffer = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  // sharp writes sRGB unless told otherwise: keep one-channel images greyscale PNGs.
  const image = sharp(buffer, { raw: { width, height, channels } });
  if (channels === 1) image.toColourspace('b-w');
  const png = await image.png({ compressionLevel: 6 }).toBuffer();
  return { base64: png.toString('base64'), width, height };
}

/** Encodes one image example; values of an n-bit example are stretched to 0..255 for display. */
export async function encodePng(example: Example): Promise<Png> {
  if (!(example.data instanceof Uint8Array)) throw new Error('encodePng: only image examples (bytes) can be encoded; 2-D toy points are not images');
  const [h, w, c] = imageShape(example.shape, 'encodePng');
  if (example.data.length !== h * w * c) throw new Error(`encodePng: ${example.data.length} values do not make a ${h}×${w}×${c} image`);
  return encodeRaw(toDisplayRange(example.data, example.bits ?? 8), w, h, c as 1 | 3);
}

/**
 * Lays images out in a grid of `columns` with `pad` pixels of black between and around them
 * and encodes it. `images` are HWC bytes of one `shape`; `bits` stretches n-bit values to 8.
 */
export async function encodePngGrid(images: Uint8Array[], shape: number[], columns: number, pad = 2, bits = 8): Promise<Png> {
  const [h, w, c] = imageShape(shape, 'encodePngGrid');
  if (images.length === 0) throw new Error('encodePngGrid: no images to lay out');
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`encodePngGrid: columns must be a positive integer, got ${columns}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`encodePngGrid: pad must be a non-negative integer, got ${pad}`);
  const cols = Math.min(columns, images.length);
  const rows = Math.ceil(images.length / cols);
  const width = cols * w + (cols + 1) * pad;
  const height = rows * h + (rows + 1) * pad;
  const grid = new Uint8Array(width * height * c);
  images.forEach((raw, k) => {
    if (raw.length !== h * w * c) throw new Error(`encodePngGrid: image ${k} has ${raw.length} values, not ${h}×${w}×${c}`);
    const image = toDisplayRange(raw, bits);
    const top = pad + Math.floor(k / cols) * (h + pad);
    const left = pad + (k % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      grid.set(image.subarray(y * w * c, (y + 1) * w * c), ((top + y) * width + left) * c);
    }
  });
  return encodeRaw(grid, width, height, c as 1 | 3);
}
