/**
 * The memory planner (train/memoryPlan.ts, deviceMemory.ts, memoryCheck.ts) against real models
 * and real training steps on wasm:
 * - its parameter count is the real model's, for every preset and variant;
 * - its estimate of a step's peak is within 30% of the peak measured on a real optimisation step
 *   (device buffers and tfjs's own byte count), on four configs in both memory modes;
 * - it refuses paper-celebahq1024 at batch 64 on wasm through RunManager.start, with a message
 *   naming both numbers and what to change, before any tensor is created or anything written;
 * - its verdicts and advice follow the numbers (recompute suggested when it fits, the largest
 *   fitting batch, a per-buffer limit, a tight fit);
 * - the `train.memory` config field: preset defaults, overrides, old run configs, bad values.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type MemoryMode, type ModelConfig, PRESETS, type PresetName, RunConfigSchema, memoryModeOf, resolveRunConfig } from '../../../src-shared/config';
import { openDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { dequantizeTensor } from '../../../src-main/engine/flow/units';
import { RunManager } from '../../../src-main/engine/runs/runManager';
import { tf } from '../../../src-main/engine/tf';
import { Adamax } from '../../../src-main/engine/train/adamax';
import { WASM_HEAP_LIMIT, deviceMemory } from '../../../src-main/engine/train/deviceMemory';
import { MemoryPlanError, assertRunFits, judgeStepMemory } from '../../../src-main/engine/train/memoryCheck';
import { measurePeakMemory } from '../../../src-main/engine/train/memoryPeak';
import { estimateStepMemory, largestBatchWithin } from '../../../src-main/engine/train/memoryPlan';
import { optimisationStep } from '../../../src-main/engine/train/step';
import { countParameters } from '../../../src-main/engine/flow/parameterCount';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('parameter count', () => {
  const fm = PRESETS['fashion-mnist-small'].model;
  const cases: [string, ModelConfig][] = [
    ...(Object.keys(PRESETS) as PresetName[]).map((p): [string, ModelConfig] => [p, PRESETS[p].model]),
    ['unconstrained', { ...fm, ablation: { ...fm.ablation, unconstrained: true } }],
    ['tanh after f_aff, 8 bins, 3 mixtures', { ...fm, ablation: { ...fm.ablation, afterCoupling: 'tanh' }, activation: { ...fm.activation, bins: 8 }, coupling: { ...fm.coupling, mixtures: 3 } }],
    ['resnet-se, odd hidden', { ...PRESETS['paper-cifar10'].model, inputShape: [8, 8, 3], blocksPerLevel: 2, coupling: { network: 'resnet-se', hidden: 10, mixtures: 2 } }],
  ];
  for (const [name, config] of cases) {
    it(`equals the real model's: ${name}`, () => {
      const model = createFlowModel(config, { seed: 1 });
      const real = model.variables.reduce((n, v) => n + v.size, 0);
      model.dispose();
      expect(estimateStepMemory(config, 1, 'recompute').parameters).toBe(real);
    });
  }
});

describe("estimate against a real step's measured peak", () => {
  const fm = PRESETS['fashion-mnist-small'].model;
  const cases: [string, ModelConfig, number, MemoryMode[]][] = [
    ['fashion-mnist-small, batch 16', fm, 16, ['store', 'recompute']],
    ['paper-cifar10 (3 × 16, resnet-se 128) at 8×8, batch 8', { ...PRESETS['paper-cifar10'].model, inputShape: [8, 8, 3] }, 8, ['store', 'recompute']],
    ["paper-celebahq1024's 8 levels at 256², 2 blocks, hidden 16, batch 1", { ...PRESETS['paper-celebahq1024'].model, inputShape: [256, 256, 3], blocksPerLevel: 2, coupling: { network: 'convnet', hidden: 16, mixtures: 4 } }, 1, ['recompute']],
    ['toy2d, batch 256', PRESETS.toy2d.model, 256, ['store', 'recompute']],
  ];
  for (const [name, config, batch, modes] of cases) {
    it(name, async () => {
      const model = createFlowModel(config, { seed: 1 });
      const x =
        config.inputShape.length === 1
          ? tf.randomNormal([batch, ...config.inputShape], 0, 1, 'float32', 1)
          : tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([batch, ...config.inputShape], 0, 2 ** config.bits, 'float32', 1)), config.bits, 2));
      for (const memory of modes) {
        const optimizer = new Adamax(PRESETS['fashion-mnist-small'].train.adamax);
        // One step first: the estimate is of the steady state, with the optimiser's slots made.
        await optimisationStep({ model, config, optimizer, x, lr: 1e-5, withDiagnostics: false, memory });
        const measured = await measurePeakMemory(() => optimisationStep({ model, config, optimizer, x, lr: 1e-5, withDiagnostics: false, memory }));
        expect(measured.result.finite).toBe(true);
        const estimate = estimateStepMemory(config, batch, memory);
        for (const peak of [measured.peakBufferBytes, measured.peakTensorBytes]) {
          expect(estimate.peakBytes / peak, `${memory}: estimate ${estimate.peakBytes}, measured ${peak}`).toBeGreaterThan(0.7);
          expect(estimate.peakBytes / peak, `${memory}: estimate ${estimate.peakBytes}, measured ${peak}`).toBeLessThan(1.3);
        }
        optimizer.dispose();
      }
      x.dispose();
      model.dispose();
    }, 300_000);
  }
});

async function celebaFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flowstudio-plan-'));
  for (let i = 0; i < 2; i++) {
    const raw = Buffer.alloc(1024 * 1024 * 3);
    for (let j = 0; j < raw.length; j++) raw[j] = (j * 7 + i * 13) & 255;
    await sharp(raw, { raw: { width: 1024, height: 1024, channels: 3 } }).png().toFile(join(dir, `face${i}.png`));
  }
  return dir;
}

describe('refusing an impossible run', () => {
  it('paper-celebahq1024 at batch 64 on wasm: refused by RunManager.start before any tensor or file exists', async () => {
    const data = `folder:${await celebaFolder()}?size=1024&bits=5`;
    const runsRoot = mkdtempSync(join(tmpdir(), 'flowstudio-plan-runs-'));
    const manager = new RunManager((spec, options) => openDataset(spec, options), runsRoot);
    const before = tf.memory();
    const warnings: string[] = [];
    const start = manager.start({
      preset: 'paper-celebahq1024',
      overrides: { data, train: { batchSize: 64 } },
      resume: false,
      callbacks: { onLog: (level, message) => warnings.push(`${level}: ${message}`) },
    });
    const error = await start.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MemoryPlanError);
    const message = (error as Error).message;
    const estimate = estimateStepMemory(PRESETS['paper-celebahq1024'].model, 64, 'recompute');
    // Both numbers, the backend, and what to change.
    expect(message).toContain('paper-celebahq1024 at batch 64 (train.memory=recompute)');
    expect(message).toContain(`needs about ${(estimate.peakBytes / 2 ** 30).toFixed(1)} GiB`);
    expect(message).toMatch(/the wasm backend has 4\.0 GiB: the wasm backend's 32-bit heap/);
    expect(message).toMatch(/even batch 1 with train\.memory=recompute needs about \d+\.\d GiB: use a backend with more memory/);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(readdirSync(runsRoot)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('store mode that recompute would fit: the advice says so, with the largest batch for store', async () => {
    const config = resolveRunConfig('paper-cifar10', { train: { batchSize: 64, memory: 'store' } });
    const store = estimateStepMemory(config.model, 64, 'store');
    const recompute = estimateStepMemory(config.model, 64, 'recompute');
    expect(recompute.peakBytes).toBeLessThan(store.peakBytes / 5);
    // A device between the two (the numbers are the planner's own: this checks the advice).
    const device = { backend: 'webgpu', availableBytes: (store.peakBytes + recompute.peakBytes) / 2, source: 'test device' };
    const verdict = judgeStepMemory(config, device);
    expect(verdict.verdict).toBe('too-large');
    const fitting = largestBatchWithin(config.model, 'store', device.availableBytes);
    expect(fitting).toBeGreaterThan(1);
    expect(fitting).toBeLessThan(64);
    expect(estimateStepMemory(config.model, fitting, 'store').peakBytes).toBeLessThanOrEqual(device.availableBytes);
    expect(estimateStepMemory(config.model, fitting + 1, 'store').peakBytes).toBeGreaterThan(device.availableBytes);
    expect(verdict.message).toContain(`set train.memory=recompute (about ${(recompute.peakBytes / 2 ** 30).toFixed(1)} GiB at this batch)`);
    expect(verdict.message).toContain(`lower train.batchSize to ${fitting} or less`);
    // With recompute the same run fits; close to the limit it warns instead.
    const asRecompute = { ...config, train: { ...config.train, memory: 'recompute' as const } };
    expect(judgeStepMemory(asRecompute, device).verdict).toBe('fits');
    const tight = judgeStepMemory(asRecompute, { ...device, availableBytes: recompute.peakBytes * 1.1 });
    expect(tight.verdict).toBe('tight');
    expect(tight.message).toMatch(/may run out of memory/);
  });

  it('a tensor larger than one WebGPU buffer may hold is refused with the batch that fits', () => {
    const config = resolveRunConfig('paper-celebahq1024');
    const estimate = estimateStepMemory(config.model, config.train.batchSize, 'recompute');
    const verdict = judgeStepMemory(config, { backend: 'webgpu', availableBytes: 1e15, source: 'test device', maxBufferBytes: estimate.largestTensorBytes / 2 });
    expect(verdict.verdict).toBe('too-large');
    expect(verdict.message).toMatch(/more than the .* one webgpu buffer may hold/);
    expect(verdict.message).toContain(`Lower train.batchSize to ${config.train.batchSize / 2} or less`);
  });

  it('fashion-mnist-small at its preset batch fits on wasm', async () => {
    const verdict = await assertRunFits(resolveRunConfig('fashion-mnist-small'));
    expect(verdict.verdict).toBe('fits');
    expect(verdict.device.availableBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT);
  });
});

describe('device memory', () => {
  it('wasm: its heap limit less what is in use, never more than the system has', async () => {
    const held = tf.zeros([1024, 1024]);
    const device = await deviceMemory();
    expect(device.backend).toBe('wasm');
    expect(device.availableBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT - tf.memory().numBytes);
    expect(device.availableBytes).toBeGreaterThan(0);
    held.dispose();
  });
  it('cpu and tensorflow without a GPU: the available system memory', async () => {
    for (const backend of ['cpu', 'tensorflow']) {
      const device = await deviceMemory({ backend });
      expect(device.source).toMatch(/available system memory/);
      expect(device.availableBytes).toBeGreaterThan(0);
    }
  });
});

describe('train.memory in the config', () => {
  it('defaults: recompute for image presets, store for the 2-D toys and fashion-mnist-small (faster, and its tape fits)', () => {
    for (const preset of Object.keys(PRESETS) as PresetName[]) {
      const config = resolveRunConfig(preset);
      expect(config.train.memory).toBe(preset.startsWith('toy2d') || preset === 'fashion-mnist-small' ? 'store' : 'recompute');
      expect(memoryModeOf(config)).toBe(config.train.memory);
    }
  });
  it('plans every preset, baselines included: its parameters are the analytic count, and recompute needs less than store', () => {
    for (const preset of Object.keys(PRESETS) as PresetName[]) {
      const { model } = resolveRunConfig(preset);
      const recompute = estimateStepMemory(model, 16, 'recompute');
      const store = estimateStepMemory(model, 16, 'store');
      expect(recompute.parameters, preset).toBeCloseTo(countParameters(model).total, 0);
      if (model.inputShape.length === 3) expect(recompute.peakBytes, preset).toBeLessThan(store.peakBytes);
    }
  });
  it('an override sets it, and overriding other train fields keeps the preset choice', () => {
    expect(resolveRunConfig('paper-cifar10', { train: { memory: 'store' } }).train.memory).toBe('store');
    expect(resolveRunConfig('toy2d', { train: { batchSize: 32 } }).train.memory).toBe('store');
    expect(resolveRunConfig('fashion-mnist-small', { train: { steps: 10 } }).train.memory).toBe('store');
    expect(resolveRunConfig('paper-cifar10', { train: { steps: 10 } }).train.memory).toBe('recompute');
  });
  it('a run config written before the field existed parses, and gets its model kind default', () => {
    const { memory: _, ...oldTrain } = resolveRunConfig('toy2d').train;
    const toy = RunConfigSchema.parse({ ...resolveRunConfig('toy2d'), train: oldTrain });
    expect(toy.train.memory).toBeUndefined();
    expect(memoryModeOf(toy)).toBe('store');
    const { memory: __, ...oldImageTrain } = resolveRunConfig('fashion-mnist-small').train;
    expect(memoryModeOf(RunConfigSchema.parse({ ...resolveRunConfig('fashion-mnist-small'), train: oldImageTrain }))).toBe('recompute');
  });
  it('a bad value is refused, naming the field and the choices', () => {
    expect(() => resolveRunConfig('toy2d', { train: { memory: 'checkpoint' as MemoryMode } })).toThrow(/memory[\s\S]*recompute[\s\S]*store|recompute[\s\S]*store[\s\S]*memory/);
  });
});
