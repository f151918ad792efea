/**
 * Where a training step's time goes (a benchmark tool, not a test): one fashion-mnist-small
 * step (the engine's default memory mode) under `tf.profile`, kernel time summed per kernel
 * name, plus the step's wall time and the share no kernel accounts for (JavaScript between
 * kernels: op dispatch, tape, shape checks). `tsx bench/profileStep.ts [batch] [memory]`;
 * FLOWSTUDIO_BACKEND / FLOWSTUDIO_THREADS choose the backend. Prints one JSON object.
 */
import { PRESETS, defaultMemoryMode, type MemoryMode } from '../src-shared/config';
import { backendInfo, initBackend } from '../src-main/engine/backend';
import { createFlowModel } from '../src-main/engine/flow/model';
import { dequantizeTensor } from '../src-main/engine/flow/units';
import { tf } from '../src-main/engine/tf';
import { Adamax } from '../src-main/engine/train/adamax';
import { optimisationStep } from '../src-main/engine/train/step';

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? '16');
  await initBackend();
  const preset = PRESETS['fashion-mnist-small'];
  const config = preset.model;
  const memory = (process.argv[3] as MemoryMode | undefined) ?? defaultMemoryMode(config);
  const model = createFlowModel(config, { seed: 1 });
  const optimizer = new Adamax(preset.train.adamax);
  const input = (seed: number): tf.Tensor =>
    tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([batch, ...config.inputShape], 0, 256, 'float32', seed)), 8, seed + 1));
  const step = async (seed: number): Promise<void> => {
    const x = input(seed);
    await optimisationStep({ model, config, optimizer, x, lr: 1e-4, withDiagnostics: false, memory });
    x.dispose();
  };
  for (let i = 0; i < 2; i++) await step(i); // warm-up: kernels, workers, caches
  const wall: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await step(10 + i);
    wall.push(performance.now() - t0);
  }
  const t0 = performance.now();
  const info = await tf.profile(() => step(99));
  const profiledWall = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byKernel.set(k.name, entry);
  }
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([name, v]) => ({ name, ms: Number(v.ms.toFixed(1)), calls: v.calls }));
  const sorted = [...wall].sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      backend: backendInfo().active,
      threads: backendInfo().threads,
      batch,
      memory,
      stepMs: Number(sorted[1]!.toFixed(1)),
      profiledStepMs: Number(profiledWall.toFixed(1)),
      kernelCalls: info.kernels.length,
      kernelMs: Number(kernelMs.toFixed(1)),
      kernels: top.slice(0, 25),
    })}\n`,
  );
  optimizer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
