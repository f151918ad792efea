/**
 * The preset catalogue: each preset's structure and analytic parameter count (no model built,
 * no tfjs). What the `listPresets` command answers; pure, so tests and the UI's fake engine
 * can use it too.
 */
import type { PresetSummary } from '../../src-shared/protocol';
import { type Preset, PRESETS } from '../../src-shared/presets';
import { DEFAULT_SE_REDUCTION } from './flow/couplingWidths';
import { countParameters } from './flow/parameterCount';

export function presetSummary(preset: Preset): PresetSummary {
  const { model, train } = preset;
  const count = countParameters(model);
  return {
    name: preset.name,
    description: preset.description,
    defaultData: preset.defaultData,
    parameters: count.total,
    parametersByKind: { conv: count.conv, coupling: count.coupling, activation: count.activation },
    inputShape: [...model.inputShape],
    levels: model.levels,
    blocksPerLevel: model.blocksPerLevel,
    splitFraction: model.splitFraction,
    firstConvKernel: model.firstConvKernel,
    convKernel: model.convKernel,
    network: model.coupling.network,
    hidden: model.coupling.hidden,
    mixtures: model.coupling.mixtures,
    ...(model.coupling.network === 'resnet-se' ? { seReduction: model.coupling.seReduction ?? DEFAULT_SE_REDUCTION } : {}),
    bins: model.activation.bins,
    activationVariant: model.activation.variant,
    beta: model.beta,
    bits: model.bits,
    batchSize: train.batchSize,
    learningRate: { ...train.learningRate },
    ...(preset.paper ? { paper: { ...preset.paper } } : {}),
    ...(model.architecture && model.architecture.kind !== 'paper' ? { architecture: { ...model.architecture } } : {}),
  };
}

export function listPresets(): PresetSummary[] {
  return Object.values(PRESETS).map(presetSummary);
}
