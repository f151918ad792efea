/**
 * Step time of fashion-mnist-small in the two gradient memory modes (train.memory: `store`,
 * plain autodiff, against `recompute`, inverse recomputation), interleaved in one process
 * (store, recompute, store, …) so both see the same machine load; prints one JSON line with
 * each pair's ratio and the median. A benchmark, not a test.
 * `tsx bench/memoryModes.ts [batch] [pairs]`.
 */
import { PRESETS } from '../src-shared/config';
import { backendInfo, initBackend } from '../src-main/engine/backend';
import { createFlowModel } from '../src-main/engine/flow/model';
import { dequantizeTensor } from '../src-main/engine/flow/units';
import { tf } from '../src-main/engine/tf';
import { Adamax } from '../src-main/engine/train/adamax';
import { optimisationStep } from '../src-main/engine/train/step';
import { loadavg } from 'node:os';

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? '16');
  const pairs = Number(process.argv[3] ?? '6');
  await initBackend();
  const preset = PRESETS['fashion-mnist-small'];
  const config = preset.model;
  const model = createFlowModel(config, { seed: 1 });
  const optimizer = new Adamax(preset.train.adamax);
  const time = async (memory: 'store' | 'recompute', seed: number): Promise<number> => {
    const x = tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([batch, ...config.inputShape], 0, 256, 'float32', seed)), 8, seed + 1));
    const t0 = performance.now();
    await optimisationStep({ model, config, optimizer, x, lr: 1e-4, withDiagnostics: false, memory });
    const ms = performance.now() - t0;
    x.dispose();
    return ms;
  };
  await time('store', 0);
  await time('recompute', 1);
  const store: number[] = [];
  const recompute: number[] = [];
  const load = loadavg()[0]!;
  for (let i = 0; i < pairs; i++) {
    store.push(await time('store', 10 + 2 * i));
    recompute.push(await time('recompute', 11 + 2 * i));
  }
  const ratios = store.map((s, i) => s / recompute[i]!).sort((a, b) => a - b);
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  process.stdout.write(
    `${JSON.stringify({ backend: backendInfo().active, threads: backendInfo().threads, batch, pairs, storeMs: Math.round(med(store)), recomputeMs: Math.round(med(recompute)), storeOverRecompute: Number(med(ratios).toFixed(3)), ratioRange: [Number(ratios[0]!.toFixed(3)), Number(ratios[ratios.length - 1]!.toFixed(3))], loadAverage: [Number(load.toFixed(2)), Number(loadavg()[0]!.toFixed(2))] })}\n`,
  );
  optimizer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
