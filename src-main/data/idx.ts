/**
 * IDX files (MNIST, Fashion-MNIST): a 4-byte magic number (two zero bytes, a type code, the
 * number of dimensions), one big-endian uint32 per dimension, then the values in row-major
 * order. Only unsigned bytes (type 0x08) are image or label data; anything else is refused.
 */
import { join } from 'node:path';
import { DataError } from './errors';
import { exists, readMaybeGzip } from './files';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an IDX buffer, checking the magic number and the length against the header. */
export function parseIdx(buffer: Uint8Array, file: string, expectedDims: number): IdxArray {
  const expectedMagic = (UBYTE << 8) | expectedDims;
  if (buffer.length < 4) throw new DataError(`${file} is too short to be an IDX file (${buffer.length} bytes)`, file);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  if (magic >>> 16 !== 0) {
    // Not IDX at all: say so without showing the bytes (they could be any file's, via a link).
    throw new DataError(`${file} does not start with an IDX magic number (two zero bytes, a type, the number of dimensions): not an IDX file`, file);
  }
  if (magic !== expectedMagic) {
    throw new DataError(
      `${file} has IDX magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')} (unsigned bytes, ${expectedDims} dimension${expectedDims > 1 ? 's' : ''}): not the IDX file it is named as`,
      file,
    );
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (buffer.length < headerBytes) throw new DataError(`${file} is truncated inside its IDX header`, file);
  const dims: number[] = [];
  for (let d = 0; d < expectedDims; d++) dims.push(view.getUint32(4 + 4 * d));
  const size = dims.reduce((a, b) => a * b, 1);
  const available = buffer.length - headerBytes;
  if (available < size) {
    throw new DataError(`${file} is truncated: its header promises ${dims.join('×')} = ${size} bytes of data, the file has ${available}`, file);
  }
  if (available > size) {
    throw new DataError(`${file} has ${available - size} bytes after the ${dims.join('×')} values its header declares: not a valid IDX file`, file);
  }
  return { dims, data: buffer.subarray(headerBytes, headerBytes + size) };
}

/** The names the IDX files of a split go by (the original, the dotted variant, gzipped or not). */
function candidates(prefix: string, kind: 'images' | 'labels'): string[] {
  const dims = kind === 'images' ? 3 : 1;
  const bases = [`${prefix}-${kind}-idx${dims}-ubyte`, `${prefix}-${kind}.idx${dims}-ubyte`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

async function findIdxFile(dir: string, prefix: string, kind: 'images' | 'labels'): Promise<string> {
  const names = candidates(prefix, kind);
  for (const name of names) {
    const path = join(dir, name);
    if (await exists(path)) return path;
  }
  throw new DataError(`${dir} has no ${prefix} ${kind} file (looked for ${names.join(', ')})`, join(dir, names[1]!));
}

export interface IdxSplit {
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  imagesFile: string;
}

export interface IdxSplitFiles {
  imagesFile: string;
  labelsFile: string;
}

/** Finds the images and labels files of a split (`train` or `t10k`), or names what is missing. */
export async function findIdxSplit(dir: string, prefix: 'train' | 't10k'): Promise<IdxSplitFiles> {
  return { imagesFile: await findIdxFile(dir, prefix, 'images'), labelsFile: await findIdxFile(dir, prefix, 'labels') };
}

/** Loads one split of an MNIST-style folder into memory. */
export async function loadIdxSplit({ imagesFile, labelsFile }: IdxSplitFiles): Promise<IdxSplit> {
  const [imagesRaw, labelsRaw] = await Promise.all([readMaybeGzip(imagesFile), readMaybeGzip(labelsFile)]);
  const images = parseIdx(imagesRaw, imagesFile, 3);
  const labels = parseIdx(labelsRaw, labelsFile, 1);
  const [n, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new DataError(`${labelsFile} holds ${labels.dims[0]} labels but ${imagesFile} holds ${n} images`, labelsFile);
  }
  return { images: images.data, labels: Int32Array.from(labels.data), height, width, imagesFile };
}
