/**
 * Enlarges a small PNG by an integer factor with nearest-neighbour sampling, so 28×28 samples
 * and Fig. 5 grids read at a glance in the docs without blurring their pixels:
 *   npx tsx scripts/upscale-png.ts IN.png OUT.png [FACTOR=4]
 * IN and OUT may be the same file.
 */
import sharp from 'sharp';

async function main(): Promise<void> {
  const [input, output, factorText = '4'] = process.argv.slice(2);
  const factor = Number(factorText);
  if (!input || !output || !Number.isInteger(factor) || factor < 1 || factor > 64) {
    console.error('usage: npx tsx scripts/upscale-png.ts IN.png OUT.png [FACTOR (1..64), default 4]');
    process.exit(2);
  }
  const source = await sharp(input).toBuffer({ resolveWithObject: true });
  const { width, height } = source.info;
  await sharp(source.data)
    .resize(width * factor, height * factor, { kernel: sharp.kernel.nearest })
    .png({ compressionLevel: 9 })
    .toFile(output);
  console.log(`${input} ${width}×${height} → ${output} ${width * factor}×${height * factor}`);
}

void main();
