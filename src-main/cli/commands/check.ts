/**
 * `flowstudio check --preset P`: builds the preset's flow with parameters moved away from
 * the initialisation and measures (1) the round-trip error inverse(forward(x)) − x at the
 * preset's full input size and (2) the model's log-det against log|det J| of the full
 * Jacobian from autodiff. The Jacobian has d² entries, so (2) uses the preset's architecture
 * on the smallest input its levels allow when d is large (reported as logdetInputShape).
 */
import type { Command } from 'commander';
import { lossUnit } from '../../../src-shared/lossUnit';
import { type ModelConfig, PRESETS, PresetNameSchema, checkModelShape } from '../../../src-shared/config';
import { initBackend } from '../../engine/backend';
import { checkLogdet, invertibilityError, perturbVariables } from '../../engine/check/jacobian';
import { createFlowModel } from '../../engine/flow/model';
import { tf } from '../../engine/tf';
import { info, intFlag, numberFlag, printJson } from '../output';

interface CheckFlags {
  preset: string;
  seed: string;
  perturb: string;
  maxJacobianDims: string;
  json?: boolean;
}

/** The preset's model on the smallest square input with at most `maxDims` dimensions. */
export function reducedModel(model: ModelConfig, maxDims: number): ModelConfig {
  if (lossUnit(model) !== 'bpd') return model;
  const [h, , c] = model.inputShape as [number, number, number];
  for (let size = 1; size <= h; size++) {
    const candidate = { ...model, inputShape: [size, size, c] };
    if (checkModelShape(candidate).length === 0) return size * size * c <= maxDims || size === h ? candidate : model;
  }
  return model;
}

export async function runCheck(flags: CheckFlags): Promise<void> {
  const preset = PresetNameSchema.safeParse(flags.preset);
  if (!preset.success) throw new Error(`unknown preset "${flags.preset}"; known: ${PresetNameSchema.options.join(', ')}`);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1)!;
  const maxDims = intFlag('max-jacobian-dims', flags.maxJacobianDims, 2, 4096)!;
  const scale = numberFlag('perturb', flags.perturb, 0, 1)!;
  const backend = await initBackend();
  const full = PRESETS[preset.data].model;
  const shapeOf = (m: ModelConfig): number[] => [1, ...m.inputShape];

  const model = createFlowModel(full, { seed });
  perturbVariables(model, scale, seed + 1);
  const x = tf.randomUniform(shapeOf(full), -0.5, 0.5, 'float32', seed + 2);
  const invError = invertibilityError(model, x);
  x.dispose();
  const fullDims = full.inputShape.reduce((a, b) => a * b, 1);
  const small = fullDims <= maxDims ? full : reducedModel(full, maxDims);
  let logdet;
  if (small === full) {
    const xs = tf.randomUniform(shapeOf(full), -0.5, 0.5, 'float32', seed + 3);
    logdet = checkLogdet(model, xs);
    xs.dispose();
  } else {
    const smallModel = createFlowModel(small, { seed });
    perturbVariables(smallModel, scale, seed + 1);
    const xs = tf.randomUniform(shapeOf(small), -0.5, 0.5, 'float32', seed + 3);
    logdet = checkLogdet(smallModel, xs);
    xs.dispose();
    smallModel.dispose();
  }
  model.dispose();
  const figures = {
    backend: backend.active,
    preset: preset.data,
    inputShape: full.inputShape,
    perturbation: scale,
    invertibilityMaxAbsError: invError,
    logdetInputShape: small.inputShape,
    logdetModel: logdet.model,
    logdetAutodiff: logdet.autodiff,
    logdetMaxRelError: logdet.relativeError,
  };
  if (flags.json) printJson(figures);
  else {
    info(`backend ${backend.active}, preset ${preset.data}`);
    info(`invertibility: max |x - f⁻¹(f(x))| = ${invError.toExponential(2)} at ${full.inputShape.join('×')}`);
    info(`log-det: model ${logdet.model.toFixed(5)} vs autodiff ${logdet.autodiff.toFixed(5)} (relative error ${logdet.relativeError.toExponential(2)}) at ${small.inputShape.join('×')}`);
  }
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("check a preset's flow: invertibility error and log-det against the autodiff Jacobian")
    .requiredOption('--preset <name>', `one of ${PresetNameSchema.options.join(', ')}`)
    .option('--seed <n>', 'seed of the parameters and inputs', '0')
    .option(
      '--perturb <std>',
      'Gaussian noise added to every parameter to leave the near-identity initialisation (0.02 moves the log-det by tens of nats; much larger makes 8 stacked random coupling nets so steep that float32 round-off dominates the round trip)',
      '0.02',
    )
    .option('--max-jacobian-dims <d>', 'largest input (dimensions) for the full-Jacobian log-det check', '256')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: CheckFlags) => runCheck(flags));
}
