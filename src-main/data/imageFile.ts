/**
 * Decodes one image file (PNG, JPEG, WebP, ...) with sharp into quantised HWC bytes of a
 * square size: EXIF orientation applied, transparency flattened onto black, converted to
 * sRGB (or grey), centre-cropped to a square and resized (Lanczos) when it is not already
 * that size, then reduced to n bits. Only regular files are read.
 */
import sharp from 'sharp';
import { DataError, messageOf } from './errors';
import { quantiseInPlace } from './pixels';
import { readRegularFile } from './regularFile';

/** Image files larger than this are refused (CelebA-HQ's 1024² PNGs are a few megabytes). */
const MAX_IMAGE_FILE_BYTES = 1024 * 1024 * 1024;

export interface DecodeOptions {
  /** Side of the square output. */
  size: number;
  /** 3 (RGB) or 1 (grey). */
  channels?: 1 | 3 | number;
  /** Bits per channel kept (k >> (8 − bits)); default 8. */
  bits?: number;
}

/** Decodes `file` to `size × size × channels` bytes; a DataError names the file when it cannot. */
export async function loadImageFile(file: string, options: DecodeOptions): Promise<Uint8Array> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new DataError(`cannot decode ${file} to ${channels} channels (1 or 3)`, file);
  const { size } = options;
  // Read by us, not by sharp: a FIFO or device is refused at once (sharp never returns on one).
  const bytes = await readRegularFile(file, MAX_IMAGE_FILE_BYTES);
  let pixels: Buffer;
  try {
    // failOn 'warning' (sharp's default, stated here on purpose): a truncated JPEG that
    // libjpeg would half-decode is refused instead of entering the dataset grey-filled.
    const image = sharp(bytes, { failOn: 'warning' }).rotate();
    const meta = await image.metadata();
    const swap = (meta.orientation ?? 1) >= 5;
    const width = swap ? meta.height : meta.width;
    const height = swap ? meta.width : meta.height;
    image.flatten({ background: '#000000' }).toColourspace(channels === 3 ? 'srgb' : 'b-w');
    if (width !== size || height !== size) image.resize(size, size, { fit: 'cover', position: 'centre' });
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== channels || data.length !== size * size * channels) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, not ${size}×${size}×${channels}`);
    }
    pixels = data;
  } catch (error) {
    throw new DataError(`${file} cannot be decoded as an image: ${firstLine(messageOf(error))}`, file);
  }
  const out = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  quantiseInPlace(out, options.bits ?? 8);
  return out;
}

/** Width and height after EXIF orientation, or a DataError naming the file. */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const bytes = await readRegularFile(file, MAX_IMAGE_FILE_BYTES);
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    const swap = (meta.orientation ?? 1) >= 5;
    return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch (error) {
    throw new DataError(`${file} cannot be read as an image: ${firstLine(messageOf(error))}`, file);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
