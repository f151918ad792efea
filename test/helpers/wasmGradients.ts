/**
 * Child-process probe for the wasm thread tests (one wasm module, and so one thread count, per
 * process): the fashion-mnist-small loss in bits/dim and its gradient for every variable, on
 * eight real Fashion-MNIST test images, on wasm with FLOWSTUDIO_THREADS threads.
 *
 *   node --import tsx test/helpers/wasmGradients.ts OUT.bin
 *
 * Writes the gradients (float32, variables in model order) to OUT.bin and prints one JSON line:
 * {threads, loss, sizes}.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PRESETS } from '../../src-shared/config';
import { parseIdx } from '../../src-main/data/idx';
import { initBackend } from '../../src-main/engine/backend';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { bitsPerDim, dequantize } from '../../src-main/engine/flow/units';
import { tf } from '../../src-main/engine/tf';
import { perturb } from '../unit/flow/helpers';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: wasmGradients.ts OUT.bin');
  const info = await initBackend('wasm');
  const config = PRESETS['fashion-mnist-small'].model;
  const model = createFlowModel(config, { seed: 4 });
  perturb(model.variables, 0.02, 41); // away from the near-identity initialisation
  const file = join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz');
  const images = parseIdx(gunzipSync(readFileSync(file)), file, 3);
  const n = 8;
  const shift = 8 - config.bits;
  const pixels = Array.from(images.data.subarray(0, n * 784), (p) => p >> shift);
  const x = dequantize(pixels, [n, 28, 28, 1], config.bits, 5);
  const { value, grads } = tf.variableGrads(() => tf.mean(bitsPerDim(model.logProb(x), model.dims, config.bits)) as tf.Scalar, [...model.variables]);
  const loss = (await value.data())[0]!;
  const parts: Float32Array[] = [];
  for (const v of model.variables) parts.push((await grads[v.name]!.data()) as Float32Array);
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  writeFileSync(out, Buffer.from(all.buffer));
  process.stdout.write(`${JSON.stringify({ threads: info.threads, loss, sizes: parts.map((p) => p.length) })}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
