/** PNG encoding of examples and grids, checked by decoding the PNG again with sharp. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng, encodePngGrid } from '../../../src-main/data';
import type { Png } from '../../../src-main/data/../../src-shared/protocol/common';
import { patternImage } from './fixtures';

async function decode(png: Png): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const bytes = Buffer.from(png.base64, 'base64');
  // The PNG's own channel count; sharp's raw output would otherwise expand grey to sRGB.
  const { channels } = await sharp(bytes).metadata();
  const image = sharp(bytes);
  if (channels === 1) image.toColourspace('b-w');
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: channels ?? 0 };
}

describe('PNG encoding', () => {
  it('round-trips RGB and grey examples exactly', async () => {
    const rgb = patternImage(5, 7, 9, 3);
    const decoded = await decode(await encodePng({ data: rgb, shape: [7, 9, 3] }));
    expect(decoded).toMatchObject({ width: 9, height: 7, channels: 3 });
    expect(new Uint8Array(decoded.data)).toEqual(rgb);
    const grey = patternImage(6, 4, 4, 1);
    const g = await decode(await encodePng({ data: grey, shape: [4, 4, 1] }));
    expect(g.channels).toBe(1);
    expect(new Uint8Array(g.data)).toEqual(grey);
  });

  it('stretches n-bit values to the full range for display', async () => {
    const data = Uint8Array.from([0, 31, 16, 1]);
    const decoded = await decode(await encodePng({ data, shape: [2, 2, 1], bits: 5 }));
    expect(Array.from(decoded.data)).toEqual([0, 255, 132, 8]);
  });

  it('lays a grid out with padding, row by row', async () => {
    const images = [1, 2, 3].map((v) => new Uint8Array(2 * 3 * 3).fill(v * 50));
    const png = await encodePngGrid(images, [2, 3, 3], 2, 1);
    // Two columns of width 3 and three pads: 9 wide; two rows of height 2 and three pads: 7 high.
    expect(png).toMatchObject({ width: 9, height: 7 });
    const { data } = await decode(png);
    const at = (x: number, y: number): number => data[(y * 9 + x) * 3]!;
    expect(at(0, 0)).toBe(0);
    expect(at(1, 1)).toBe(50);
    expect(at(5, 2)).toBe(100);
    expect(at(4, 1)).toBe(0);
    expect(at(1, 4)).toBe(150);
    expect(at(5, 4)).toBe(0);
  });

  it('refuses what is not an image, saying why', async () => {
    await expect(encodePng({ data: new Float32Array(2), shape: [2] })).rejects.toThrow(/2-D toy points are not images/);
    await expect(encodePng({ data: new Uint8Array(10), shape: [2, 2, 3] })).rejects.toThrow(/10 values do not make a 2×2×3 image/);
    await expect(encodePngGrid([], [2, 2, 3], 2)).rejects.toThrow(/no images/);
    await expect(encodePngGrid([new Uint8Array(12)], [2, 2, 4], 2)).rejects.toThrow(/need \[height, width, 1 or 3\]/);
  });
});
