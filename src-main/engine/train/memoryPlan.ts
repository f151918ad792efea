/**
 * The memory planner's estimate: peak tfjs memory of one training step for a model config, a
 * batch size and a memory mode, from the plan's shapes alone (nothing is allocated: a run that
 * cannot fit is refused before it creates a tensor; train/memoryCheck.ts compares the estimate
 * with what the backend has).
 *
 * What a step holds at its peak (train/step.ts, gradients.ts, recompute.ts, adamax.ts):
 * - always: the parameters, Adamax's two slots per parameter, the gradients, the batch;
 * - `store`: the tape of the whole forward pass (every layer's saved tensors), alive until the
 *   backward pass ends, plus every intermediate gradient of that pass (tfjs frees none of them
 *   before the backward pass ends);
 * - `recompute`: the latents, a block's input, output and their gradients, and the largest
 *   block's tape and backward working set;
 * - the update (Adamax.update) computes new weights and slots for every variable before the
 *   step's read: three more parameter-sized copies, alive with the gradients.
 * The step's peak is the larger of the gradient phase and the update phase.
 *
 * A layer's tape and backward working set are linear in its sizes. The coefficients (float32
 * values per unit) below were measured on wasm with tfjs 4.22 (tests and `npm run bench`
 * measure real steps against this estimate): for every layer of 18 configs (three coupling
 * networks, hidden 16–128, mixtures 1–4, bins 8–32, batches 2–256, squash on and off) the
 * bytes alive after the forward under a tape ("tape") and the peak through its backward
 * ("peak") were fitted by least squares on relative error (worst fit 4% for f_aff and f_act,
 * 34% for f_conv, a small term). They depend on how the layers are written, not on the
 * backend: every backend runs the same kernels with the same saved tensors.
 */
import type { CouplingNetwork, MemoryMode, ModelConfig } from '../../../src-shared/config';
import { architectureOf } from '../../../src-shared/config';
import { baselineBlockLayers } from '../flow/architecture';
import { baselineBlockParameterCount, blockParameterCount } from '../flow/parameterCount';
import { type BlockPlan, type LevelPlan, planModel } from '../flow/shapes';

const FLOAT32 = 4;

/** tape = Σ coefficient · feature, and the same for the peak through the layer's backward. */
interface Coefficients {
  tape: number;
  peak: number;
}

/** f_conv per output element, per element when it also squeezes (k > 1), per entry of W (n²). */
const CONV = { element: { tape: 5, peak: 8 }, squeezed: { tape: 7, peak: 10 }, weight: { tape: 14.5, peak: 24 } };
/** f_act (RQ) per element, and per entry of its per-channel bin tables (channels × bins). */
const ACT = { element: { tape: 82, peak: 132 }, table: { tape: 57, peak: 119 } };
/** Sec. 6.2 squash (tanh / normal CDF) per element. */
const SQUASH: Coefficients = { tape: 11, peak: 23 };
/**
 * f_aff per element, per element and mixture component (the Mexican hats), per hidden unit
 * per pixel and example (both nets together count once), per parameter of the layer.
 */
const AFF: Record<CouplingNetwork, { element: Coefficients; mixture: Coefficients; hidden: Coefficients; parameter: Coefficients }> = {
  convnet: { element: { tape: 9.5, peak: 32 }, mixture: { tape: 9.3, peak: 15.9 }, hidden: { tape: 16.2, peak: 34.1 }, parameter: { tape: 1.1, peak: 5.1 } },
  'resnet-se': { element: { tape: 3.1, peak: 5.9 }, mixture: { tape: 12.3, peak: 23.6 }, hidden: { tape: 48.3, peak: 86.3 }, parameter: { tape: 1.4, peak: 4.6 } },
  dense: { element: { tape: 2.8, peak: 5.2 }, mixture: { tape: 11.1, peak: 20.7 }, hidden: { tape: 12.1, peak: 26.1 }, parameter: { tape: 1, peak: 2.9 } },
  // Not fitted: resnet-se's per-hidden-unit cost, scaled by the convolutions per residual block
  // pair (2 full 3×3 against resnet-se's bottleneck), an overestimate rather than a refusal-free guess.
  resnet: { element: { tape: 3.1, peak: 5.9 }, mixture: { tape: 12.3, peak: 23.6 }, hidden: { tape: 48.3, peak: 86.3 }, parameter: { tape: 1.4, peak: 4.6 } },
};

/**
 * The baselines' layers (not fitted; each taken from the fitted layer it resembles): actnorm,
 * permutation, squeeze and split prior like the elementwise squash; Glow's 1×1 conv like f_conv;
 * a masked coupling like f_aff with one scale value per element; a spline coupling like f_aff
 * plus, per element and bin, the RQ activation's per-table-entry cost spread over its 6 tables.
 */
const SPLINE_PER_ELEMENT_BIN: Coefficients = { tape: 57 / 10, peak: 119 / 10 };

export interface BlockMemory {
  /** `L{level}.B{block}`, 1-based. */
  name: string;
  /** Values (float32) of one block's input (= output) per example. */
  elements: number;
  parameters: number;
  /** Tape of the block's forward and the peak through its backward, bytes for the batch. */
  tapeBytes: number;
  peakBytes: number;
}

export interface MemoryEstimate {
  mode: MemoryMode;
  batch: number;
  parameters: number;
  /** Bytes of the weights, of Adamax's two slots, of one set of gradients. */
  parameterBytes: number;
  optimizerBytes: number;
  gradientBytes: number;
  /** The batch in the model's range (and its integer source). */
  batchBytes: number;
  /** What the mode keeps for the backward pass: the whole tape (store) or the latents and a block's maps (recompute). */
  activationBytes: number;
  /** The working set on top of that: the backward's intermediate gradients (store) or the largest block's tape and backward (recompute). */
  workingBytes: number;
  /** Gradient phase and update phase; the peak is the larger. */
  gradientPhaseBytes: number;
  updatePhaseBytes: number;
  peakBytes: number;
  /** The largest single tensor (for backends with a per-buffer limit). */
  largestTensorBytes: number;
  /** The block with the largest working set. */
  largestBlock: BlockMemory;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const both = (c: Coefficients, x: number): Coefficients => ({ tape: c.tape * x, peak: c.peak * x });
const add = (...cs: Coefficients[]): Coefficients => ({ tape: sum(cs.map((c) => c.tape)), peak: sum(cs.map((c) => c.peak)) });

interface LayerCost {
  parameters: number;
  /** Floats for the whole batch. */
  cost: Coefficients;
}

/** Per layer of a baseline block (architecture.ts specs): parameters and costs at a batch size. */
function baselineLayers(config: ModelConfig, bp: BlockPlan, level: LevelPlan, lastLevel: boolean, batch: number): LayerCost[] {
  const a = AFF[config.coupling.network];
  const counts = baselineBlockParameterCount(config, bp, level, lastLevel);
  const specs = baselineBlockLayers(config, bp, level, lastLevel);
  const couplings = Math.max(1, specs.filter((s) => s.kind === 'aff' || s.kind === 'spline').length);
  const normalisers = Math.max(1, specs.filter((s) => s.kind === 'actnorm' || s.kind === 'prior').length);
  return specs.map((spec): LayerCost => {
    const elements = batch * product(spec.shape);
    const c = spec.shape[spec.shape.length - 1]!;
    const pixels = spec.shape.length === 3 ? spec.shape[0]! * spec.shape[1]! : 1;
    switch (spec.kind) {
      case 'conv':
        return { parameters: c * c + c, cost: add(both(CONV.element, elements), both(CONV.weight, c * c)) };
      case 'aff':
      case 'spline': {
        // The block's coupling parameters shared evenly among its couplings (for the per-parameter term).
        const share = counts.coupling / couplings;
        const base = add(both(a.element, elements), both(a.mixture, elements), both(a.hidden, batch * pixels * config.coupling.hidden), both(a.parameter, share));
        return { parameters: share, cost: spec.kind === 'spline' ? add(base, both(SPLINE_PER_ELEMENT_BIN, elements * spec.bins)) : base };
      }
      case 'actnorm':
      case 'prior':
        return { parameters: counts.activation / normalisers, cost: both(SQUASH, elements) };
      default:
        return { parameters: 0, cost: both(SQUASH, elements) };
    }
  });
}

/** Per layer of a block (conv, aff, [squash], act): parameters and costs at a batch size. */
function blockLayers(config: ModelConfig, bp: BlockPlan, batch: number): LayerCost[] {
  const out = bp.outputShape;
  const channels = out[out.length - 1]!;
  const pixels = out.length === 3 ? out[0]! * out[1]! : 1;
  const elements = batch * product(out);
  const { network, hidden, mixtures } = config.coupling;
  const unconstrained = config.ablation.unconstrained;
  const bins = config.activation.bins;

  const counts = blockParameterCount(config, channels);
  const conv: LayerCost = {
    parameters: counts.conv,
    cost: add(both(bp.kernel > 1 ? CONV.squeezed : CONV.element, elements), both(CONV.weight, channels * channels)),
  };

  const affParameters = counts.coupling;
  const a = AFF[network];
  const aff: LayerCost = {
    parameters: affParameters,
    cost: add(
      both(a.element, elements),
      both(a.mixture, elements * (unconstrained ? 1 : mixtures)),
      both(a.hidden, batch * pixels * hidden),
      both(a.parameter, affParameters),
    ),
  };

  const act: LayerCost = {
    parameters: counts.activation,
    cost: add(both(ACT.element, elements), both(ACT.table, channels * bins)),
  };
  const layers = [conv, aff];
  if (config.ablation.afterCoupling !== 'none') layers.push({ parameters: 0, cost: both(SQUASH, elements) });
  layers.push(act);
  return layers;
}

/**
 * A block's tape (all its layers' together) and its peak through the backward pass, floats.
 * The backward adds up rather than taking the worst layer: tfjs keeps the gradient of every
 * intermediate tensor of a tape until that whole backward pass ends (`backpropagateGradients`
 * disposes none of them), so each layer's backward working set stays until the end.
 */
function blockCost(layers: LayerCost[]): Coefficients {
  return { tape: sum(layers.map((l) => l.cost.tape)), peak: sum(layers.map((l) => l.cost.peak)) };
}

/** The whole estimate at one batch size. */
function estimateAt(config: ModelConfig, batch: number, mode: MemoryMode): MemoryEstimate {
  const plan = planModel(config);
  const blockPlans = plan.levels.flatMap((l) => l.blocks);
  const baseline = architectureOf(config).kind !== 'paper';
  const last = plan.levels.length - 1;
  const layersPerBlock = blockPlans.map((bp) =>
    baseline ? baselineLayers(config, bp, plan.levels[bp.level]!, bp.level === last, batch) : blockLayers(config, bp, batch),
  );
  const blocks: BlockMemory[] = blockPlans.map((bp, i) => {
    const cost = blockCost(layersPerBlock[i]!);
    return {
      name: `L${bp.level + 1}.B${bp.block + 1}`,
      elements: product(bp.outputShape),
      parameters: sum(layersPerBlock[i]!.map((l) => l.parameters)),
      tapeBytes: cost.tape * FLOAT32,
      peakBytes: cost.peak * FLOAT32,
    };
  });
  const parameters = sum(blocks.map((b) => b.parameters));
  // (A layer's parameters bound its largest variable.)
  const largestVariable = Math.max(...layersPerBlock.flat().map((l) => l.parameters));
  const parameterBytes = parameters * FLOAT32;
  const optimizerBytes = 2 * parameterBytes;
  const gradientBytes = parameterBytes;
  const dataElements = batch * plan.dims;
  // The batch in the model's range plus the array it was made from.
  const batchBytes = 2 * dataElements * FLOAT32;

  let activationBytes: number;
  let workingBytes: number;
  let largestBlock = blocks[0]!;
  if (mode === 'store') {
    // One tape for the whole pass, and (as inside a block) every intermediate gradient stays.
    activationBytes = sum(blocks.map((b) => b.tapeBytes));
    workingBytes = sum(blocks.map((b) => b.peakBytes - b.tapeBytes));
    largestBlock = blocks.reduce((m, b) => (b.tapeBytes > m.tapeBytes ? b : m));
  } else {
    // Latents (the data's size in all), and the walk's block maps: y, ∂L/∂y, x, ∂L/∂x.
    const maxElements = Math.max(...blocks.map((b) => b.elements));
    activationBytes = (dataElements + 4 * batch * maxElements) * FLOAT32;
    largestBlock = blocks.reduce((m, b) => (b.peakBytes > m.peakBytes ? b : m));
    workingBytes = largestBlock.peakBytes;
  }
  const fixed = parameterBytes + optimizerBytes + batchBytes;
  const gradientPhaseBytes = fixed + gradientBytes + activationBytes + workingBytes;
  // Gradients, then new weights and both slots for every variable, one variable's temporaries.
  const updatePhaseBytes = fixed + gradientBytes + 3 * parameterBytes + 4 * largestVariable * FLOAT32;

  const hiddenMap = Math.max(...blockPlans.map((bp) => (bp.outputShape.length === 3 ? bp.outputShape[0]! * bp.outputShape[1]! : 1))) * config.coupling.hidden;
  const largestTensorBytes = batch * Math.max(hiddenMap, ...blocks.map((b) => b.elements)) * FLOAT32;
  return {
    mode,
    batch,
    parameters,
    parameterBytes,
    optimizerBytes,
    gradientBytes,
    batchBytes,
    activationBytes,
    workingBytes,
    gradientPhaseBytes,
    updatePhaseBytes,
    peakBytes: Math.max(gradientPhaseBytes, updatePhaseBytes),
    largestTensorBytes,
    largestBlock,
  };
}

/**
 * Estimated peak memory of one training step (steady state: the optimiser's slots exist) for
 * the model, batch size and memory mode. Pure arithmetic on the plan's shapes: no tensor is made.
 */
export function estimateStepMemory(config: ModelConfig, batch: number, mode: MemoryMode): MemoryEstimate {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`memory plan: batch size must be a positive integer, got ${batch}`);
  return estimateAt(config, batch, mode);
}

/** The largest batch whose estimated step peak is at most `bytes` (0 when not even one example fits). */
export function largestBatchWithin(config: ModelConfig, mode: MemoryMode, bytes: number): number {
  const fits = (b: number): boolean => estimateAt(config, b, mode).peakBytes <= bytes;
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= 65536 && fits(hi)) [lo, hi] = [hi, hi * 2];
  if (hi > 65536) return 65536;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
