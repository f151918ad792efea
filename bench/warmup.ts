/**
 * Why does lr 0.01 from the first step diverge? (docs/flow.md, "Learning-rate warm-up".)
 * Trains fashion-mnist-small from the same seed and batches under several settings and prints
 * one JSON line per setting: the train bpd of the first steps, the largest, the mean of the last
 * 10 %, and the largest coupling shift |t| the forward pass produced after step 1.
 *
 *   nice -n 10 npx tsx bench/warmup.ts [steps=60] [batch=16] [setting …]
 *
 * Settings: preset (500-step warm-up to lr 0.01), lr0.01 (no warm-up), strict (the f' ≤ 1
 * activation, no warm-up), bounded-t (t = tanh(t), no warm-up), resnet (the 32×32 presets'
 * ResNet-SE coupling, hidden 64, no warm-up), resnet128 (hidden 128, SE reduction 2, as in
 * paper-cifar10, no warm-up). `bounded-t` and the |t| probe wrap CouplingNet.apply in this
 * process only: an experiment, not an option of the product.
 */
import { openDataset } from '../src-main/data';
import { initBackend } from '../src-main/engine/backend';
import { CouplingNet } from '../src-main/engine/flow/layers/couplingNets';
import { createFlowModel } from '../src-main/engine/flow/model';
import { tf } from '../src-main/engine/tf';
import { Adamax } from '../src-main/engine/train/adamax';
import { batchToInput } from '../src-main/engine/train/objective';
import { learningRateAt } from '../src-main/engine/train/schedule';
import { optimisationStep } from '../src-main/engine/train/step';
import { type RunOverrides, resolveRunConfig } from '../src-shared/config';

const args = process.argv.slice(2);
const steps = Number(args[0] ?? 60);
const batchSize = Number(args[1] ?? 16);
const noWarmup = { learningRate: { warmupSteps: 0 } };
const SETTINGS: Record<string, { overrides: RunOverrides; boundT?: number }> = {
  preset: { overrides: {} },
  'lr0.01': { overrides: { train: noWarmup } },
  strict: { overrides: { model: { activation: { variant: 'strict' } }, train: noWarmup } },
  'bounded-t': { overrides: { train: noWarmup }, boundT: 1 },
  resnet: { overrides: { model: { coupling: { network: 'resnet-se', hidden: 64 } }, train: noWarmup } },
  resnet128: { overrides: { model: { coupling: { network: 'resnet-se', hidden: 128, seReduction: 2 } }, train: noWarmup } },
};
const chosen = args.length > 2 ? args.slice(2) : Object.keys(SETTINGS);

// The probe: the largest |t| of any coupling in a forward pass, and optionally t → b·tanh(t/b).
let boundT = 0;
let probe: tf.Tensor[] = [];
const apply = CouplingNet.prototype.apply;
CouplingNet.prototype.apply = function (this: CouplingNet, x: tf.Tensor) {
  const out = apply.call(this, x);
  probe.push(tf.keep(tf.max(tf.abs(out.shift))));
  if (boundT > 0) return { logScale: out.logScale, shift: tf.mul(tf.tanh(tf.div(out.shift, boundT)), boundT) };
  return out;
};

const backend = await initBackend();
for (const name of chosen) {
  const setting = SETTINGS[name];
  if (!setting) throw new Error(`unknown setting "${name}"; known: ${Object.keys(SETTINGS).join(', ')}`);
  boundT = setting.boundT ?? 0;
  const config = resolveRunConfig('fashion-mnist-small', { ...setting.overrides, train: { ...setting.overrides.train, batchSize } });
  const model = createFlowModel(config.model, { seed: 0 });
  const dataset = await openDataset(config.data);
  const optimizer = new Adamax(config.train.adamax);
  const stream = dataset.batches('train', { batchSize, seed: 0, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
  const bpd: number[] = [];
  let shiftAfterStep1 = 0;
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const x = batchToInput((await stream.next()).value!, config.model, 1000 + step);
    const lr = learningRateAt(step, config.train.learningRate);
    const stats = await optimisationStep({ model, config: config.model, optimizer, x, lr, withDiagnostics: false });
    x.dispose();
    // Step 2's forward pass runs the weights after the first update.
    if (step === 1) shiftAfterStep1 = Math.max(...probe.map((t) => t.dataSync()[0]!));
    tf.dispose(probe);
    probe = [];
    bpd.push(stats.finite ? stats.loss : NaN);
  }
  const tail = bpd.slice(Math.floor(steps * 0.9)).filter(Number.isFinite);
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      setting: name,
      backend: backend.active,
      steps,
      batchSize,
      firstSteps: bpd.slice(0, 5).map(round),
      maxBpd: round(Math.max(...bpd.filter(Number.isFinite))),
      finalBpd: round(tail.reduce((a, b) => a + b, 0) / tail.length),
      maxShiftAfterStep1: round(shiftAfterStep1),
      secondsPerStep: round((performance.now() - started) / 1000 / steps),
    })}\n`,
  );
  model.dispose();
  optimizer.dispose();
}
