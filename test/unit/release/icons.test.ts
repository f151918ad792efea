/**
 * The icon files packaging reads (electron-builder.yml), parsed from their bytes: each is what
 * its platform needs, and each is what `npm run icons` makes from resources/icon.svg now (a
 * changed drawing with stale icons fails here).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { LINUX_SIZES, rasterise } from '../../../scripts/iconSet';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(data: Buffer): { width: number; height: number } {
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature').toBe(true);
  expect(data.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** The largest difference of one channel between two same-size images. */
async function maxDifference(a: Buffer, b: Buffer): Promise<number> {
  const [ra, rb] = await Promise.all([a, b].map((img) => sharp(img).ensureAlpha().raw().toBuffer({ resolveWithObject: true })));
  expect(ra!.info.width).toBe(rb!.info.width);
  let max = 0;
  for (let i = 0; i < ra!.data.length; i++) max = Math.max(max, Math.abs(ra!.data[i]! - rb!.data[i]!));
  return max;
}

const svg = readFileSync('resources/icon.svg');

describe('icons', () => {
  it('has a square app icon of at least 512² (1024²), rendered from the SVG as it is now', async () => {
    const png = readFileSync('resources/icon.png');
    const { width, height } = pngSize(png);
    expect(width).toBe(height);
    expect(width).toBeGreaterThanOrEqual(512);
    expect(await maxDifference(png, await rasterise(svg, width))).toBeLessThanOrEqual(2);
  });

  it('has the Linux set: one NxN.png per size, each that size and rendered from the SVG', async () => {
    const names = readdirSync('resources/icons').sort();
    expect(names).toEqual(LINUX_SIZES.map((n) => `${n}x${n}.png`).sort());
    for (const size of LINUX_SIZES) {
      const png = readFileSync(join('resources/icons', `${size}x${size}.png`));
      expect(pngSize(png)).toEqual({ width: size, height: size });
      expect(await maxDifference(png, await rasterise(svg, size)), `${size}²`).toBeLessThanOrEqual(2);
    }
  });

  it('has a Windows .ico whose directory lists 16² to 256² and whose entries are where it says', () => {
    const ico = readFileSync('resources/icon.ico');
    expect(ico.readUInt16LE(0)).toBe(0); // reserved
    expect(ico.readUInt16LE(2)).toBe(1); // 1 = icon
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      const size = ico[entry] === 0 ? 256 : ico[entry]!; // 0 means 256
      const bytes = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      expect(offset + bytes).toBeLessThanOrEqual(ico.length);
      const chunk = ico.subarray(offset, offset + bytes);
      // A PNG chunk, or a BMP info header (40 bytes) whose height counts the mask too.
      if (chunk[0] === 0x89) expect(pngSize(chunk).width).toBe(size);
      else expect([chunk.readUInt32LE(0), chunk.readInt32LE(4)]).toEqual([40, size]);
      sizes.push(size);
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
  });

  it('has a macOS .icns with 512² and 1024² PNG entries', () => {
    const icns = readFileSync('resources/icon.icns');
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const pngs = new Map<string, number>();
    for (let at = 8; at < icns.length; ) {
      const type = icns.toString('latin1', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      expect(length).toBeGreaterThan(8);
      const body = icns.subarray(at + 8, at + length);
      if (body[0] === 0x89) pngs.set(type, pngSize(body).width);
      at += length;
    }
    // ic09: 512², ic10: 1024² (512² at 2x), ic14: 512² at 2x.
    expect(pngs.get('ic09')).toBe(512);
    expect(pngs.get('ic10')).toBe(1024);
  });
});
