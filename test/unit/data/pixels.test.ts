/** n-bit quantisation works four bytes at a time: check it byte by byte, at every alignment. */
import { describe, expect, it } from 'vitest';
import { quantiseInPlace } from '../../../src-main/data/pixels';

describe('quantiseInPlace', () => {
  it('keeps the top n bits of every byte, whatever the view offset and length', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (const length of [0, 1, 3, 4, 5, 1027]) {
        for (let bits = 1; bits <= 8; bits++) {
          const buffer = Uint8Array.from({ length: length + 8 }, (_, i) => (i * 37 + 11) & 0xff);
          const view = buffer.subarray(offset, offset + length);
          const before = Array.from(buffer);
          quantiseInPlace(view, bits);
          const expected = before.map((v, i) => (i >= offset && i < offset + length ? Math.floor(v / 2 ** (8 - bits)) : v));
          expect(Array.from(buffer), `offset ${offset}, length ${length}, ${bits} bits`).toEqual(expected);
        }
      }
    }
  });
});
