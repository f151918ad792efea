/** The .npy header parser on the versions and dtypes numpy writes, and on broken headers. */
import { describe, expect, it } from 'vitest';
import { integersToInt32, parseNpyHeader } from '../../../src-main/data/npy';
import { npyBytes } from './fixtures';

describe('.npy headers', () => {
  it('parses version 1 headers, and says when more bytes are needed', () => {
    const bytes = npyBytes('<i8', [3], new Uint8Array(24));
    const header = parseNpyHeader(bytes, 'x.npy')!;
    expect(header).toMatchObject({ descr: '<i8', fortranOrder: false, shape: [3], kind: 'i', itemSize: 8, littleEndian: true });
    expect(header.dataOffset % 64).toBe(0);
    expect(parseNpyHeader(bytes.subarray(0, 20), 'x.npy')).toBeNull();
    expect(parseNpyHeader(bytes.subarray(0, 5), 'x.npy')).toBeNull();
  });

  it('parses version 2 headers (uint32 length) and big-endian dtypes', () => {
    const text = "{'descr': '>u2', 'fortran_order': False, 'shape': (2, 2), }\n";
    const bytes = new Uint8Array(12 + text.length + 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(bytes.buffer).setUint32(8, text.length, true);
    bytes.set(new TextEncoder().encode(text), 12);
    bytes.set([0, 1, 1, 0, 0xff, 0xff, 0, 7], 12 + text.length);
    const header = parseNpyHeader(bytes, 'y.npy')!;
    expect(header).toMatchObject({ shape: [2, 2], littleEndian: false, dataOffset: 12 + text.length });
    expect(Array.from(integersToInt32(bytes.subarray(header.dataOffset), header, 'y.npy'))).toEqual([1, 256, 65535, 7]);
  });

  it('names the file when the magic, version or header is wrong', () => {
    expect(() => parseNpyHeader(new TextEncoder().encode('PK\u0003\u0004 hello'), 'z.npy')).toThrow('z.npy is not a .npy array (bad magic string)');
    const v9 = npyBytes('|u1', [1], new Uint8Array(1));
    v9[6] = 9;
    expect(() => parseNpyHeader(v9, 'z.npy')).toThrow(/z\.npy has \.npy format version 9/);
    const object = npyBytes('|O', [1], new Uint8Array(8));
    expect(() => parseNpyHeader(object, 'z.npy')).toThrow(/dtype \|O, which is not a plain numeric type/);
    const header = parseNpyHeader(npyBytes('<f8', [1], new Uint8Array(8)), 'w.npy')!;
    expect(() => integersToInt32(new Uint8Array(8), header, 'w.npy')).toThrow(/w\.npy has dtype <f8; integer labels are expected/);
  });
});
