/**
 * Every icon file electron-builder reads, drawn from resources/icon.svg.
 *   resources/icon.png          1024², the app icon (and what the test checks is ≥ 512²)
 *   resources/icons/NxN.png     Linux's icon set (AppImage, deb), 16² to 512²
 *   resources/icon.icns         macOS (dmg)
 *   resources/icon.ico          Windows (nsis), 16² to 256²
 * Each PNG is rasterised from the SVG at its own size (sharp), so small sizes stay sharp; the
 * ICO and ICNS containers are written by png2icons from the 1024² PNG. Commit the outputs:
 * packaging reads them, and CI cannot run this on every build.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BICUBIC, createICNS, createICO } from 'png2icons';
import sharp from 'sharp';

const RESOURCES = 'resources';
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;

/** One PNG of the drawing at size × size. */
export async function rasterise(svg: Buffer, size: number): Promise<Buffer> {
  // density scales the SVG's 1024-unit canvas to the target before rasterising.
  return sharp(svg, { density: (72 * size) / 1024 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

function container(name: string, data: Buffer | null): Buffer {
  if (data === null) throw new Error(`png2icons could not write ${name}`);
  return data;
}

/** Writes every icon file into resources/ (scripts/make-icons.ts runs this). */
export async function writeIcons(): Promise<void> {
  const svg = readFileSync(join(RESOURCES, 'icon.svg'));
  const full = await rasterise(svg, 1024);
  writeFileSync(join(RESOURCES, 'icon.png'), full);
  mkdirSync(join(RESOURCES, 'icons'), { recursive: true });
  for (const size of LINUX_SIZES) writeFileSync(join(RESOURCES, 'icons', `${size}x${size}.png`), await rasterise(svg, size));
  writeFileSync(join(RESOURCES, 'icon.icns'), container('icon.icns', createICNS(full, BICUBIC, 0)));
  // PNG chunks, BMP below 64² (older Windows shows PNG chunks badly in an executable).
  writeFileSync(join(RESOURCES, 'icon.ico'), container('icon.ico', createICO(full, BICUBIC, 0, true, true)));
  console.log(`icons written to ${RESOURCES}/: icon.png, icons/ (${LINUX_SIZES.length} sizes), icon.icns, icon.ico`);
}
