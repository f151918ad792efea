/** Lays PNG tiles (all of one size, as the image commands answer them) out as one PNG file. */
import sharp from 'sharp';
import type { Png } from '../../src-shared/protocol';
import { encodePngGrid } from '../data';

/** The tiles in rows of `columns`, without extra padding (each tile has its own border). */
export async function pngSheet(tiles: readonly Png[], columns: number): Promise<Buffer> {
  const decoded = await Promise.all(tiles.map((t) => sharp(Buffer.from(t.base64, 'base64')).raw().toBuffer({ resolveWithObject: true })));
  const first = decoded[0];
  if (!first) throw new Error('no images to lay out');
  const shape = [first.info.height, first.info.width, first.info.channels];
  const sheet = await encodePngGrid(
    decoded.map((d) => new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength)),
    shape,
    columns,
    0,
  );
  return Buffer.from(sheet.base64, 'base64');
}
