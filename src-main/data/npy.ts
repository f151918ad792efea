/**
 * The .npy format (numpy's NEP 1): the magic "\x93NUMPY", a major and minor version byte, the
 * header length (uint16 LE for version 1, uint32 LE for 2 and 3), then a Python dict literal
 * such as `{'descr': '|u1', 'fortran_order': False, 'shape': (10000, 3072), }` padded with
 * spaces to a multiple of 64 bytes, then the array's bytes.
 */
import { DataError } from './errors';

export interface NpyHeader {
  /** numpy type string: byte order (`<`, `>`, `|`, `=`), kind, item size, e.g. `<i8`. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data from the start of the .npy. */
  dataOffset: number;
  /** Item size in bytes, from descr. */
  itemSize: number;
  /** Kind letter from descr: `u` unsigned, `i` signed, `f` float, `b` bool, ... */
  kind: string;
  littleEndian: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * Parses the header from the first bytes of a .npy; returns null while more bytes are needed.
 * `where` names the file (and entry) in errors.
 */
export function parseNpyHeader(bytes: Uint8Array, where: string): NpyHeader | null {
  const prefix = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== MAGIC[i]) throw new DataError(`${where} is not a .npy array (bad magic string)`, where);
  }
  if (bytes.length < 10) return null;
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new DataError(`${where} has .npy format version ${major}.${bytes[7]}, which is not supported (1 to 3 are)`, where);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) return null;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (bytes.length < dataOffset) return null;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`${where} has a .npy header without descr, fortran_order and shape`, where);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new DataError(`${where} has a dimension that is not a non-negative integer in its .npy shape`, where);
      return n;
    });
  const typeMatch = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!typeMatch) {
    // A short type code is format metadata worth showing (|O, <U10); anything else is not named.
    const shown = /^[<>|=]?[a-zA-Z][a-zA-Z0-9]{0,7}$/.test(descr) ? `dtype ${descr}` : 'a dtype';
    throw new DataError(`${where} has ${shown}, which is not a plain numeric type`, where);
  }
  const order = typeMatch[1] ?? '';
  return {
    descr,
    fortranOrder: fortran === 'True',
    shape,
    dataOffset,
    itemSize: Number(typeMatch[3]),
    kind: typeMatch[2]!,
    // '|' (not applicable) and '=' (native) are little-endian on every machine we run on.
    littleEndian: order !== '>',
  };
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Converts integer array bytes to Int32 values, naming the file when a value does not fit. */
export function integersToInt32(bytes: Uint8Array, header: NpyHeader, where: string): Int32Array {
  const { kind, itemSize, littleEndian } = header;
  if ((kind !== 'i' && kind !== 'u') || ![1, 2, 4, 8].includes(itemSize)) {
    throw new DataError(`${where} has dtype ${header.descr}; integer labels are expected`, where);
  }
  const n = bytes.length / itemSize;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * itemSize;
    let v: number;
    if (itemSize === 1) v = kind === 'i' ? view.getInt8(at) : view.getUint8(at);
    else if (itemSize === 2) v = kind === 'i' ? view.getInt16(at, littleEndian) : view.getUint16(at, littleEndian);
    else if (itemSize === 4) v = kind === 'i' ? view.getInt32(at, littleEndian) : view.getUint32(at, littleEndian);
    else v = Number(kind === 'i' ? view.getBigInt64(at, littleEndian) : view.getBigUint64(at, littleEndian));
    if (v < -2147483648 || v > 2147483647) throw new DataError(`${where}: value ${v} at index ${i} does not fit a label`, where);
    out[i] = v;
  }
  return out;
}
