/**
 * The multi-scale flow (Sec. 4): L levels × B blocks, block f_l = f_act ∘ [squash] ∘ f_aff ∘ f_conv;
 * the first block of a level uses `firstConvKernel`, the others `convKernel`; after every level
 * but the last, the last `splitFraction` of the channels are factored out into that level's
 * latent. All per-level latents are kept (the latent studio edits them).
 *
 * Names: layers `L{level}.B{block}.{conv|aff|squash|act}` with 1-based level and block;
 * descriptors carry 0-based `level` and `block` (array indices). Parameters have logical names
 * `L{l}.B{b}.{layer}/{parameter}` (`parameterNames`, what checkpoints store); the tfjs
 * variables add an instance prefix (`flow3/L1.B1.conv/lu`) because tfjs variable names are
 * global to the process. The order of `variables` is layer order, then each layer's own order,
 * and is the same for every model built from the same config.
 */
import { type ModelConfig, architectureOf } from '../../../src-shared/config';
import { baselineBlockLayers } from './architecture';
import { buildBaselineLayer } from './baselines';
import { ActNorm } from './layers/actNorm';
import { logLikelihood } from './prior';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../tf';
import { type ActivationLayer, createActivation } from './activation';
import { CompositeTransform } from './composite';
import { blockInitialization } from './init';
import { DualAffineCoupling } from './layers/coupling';
import { ExpQrConv } from './layers/expQrConv';
import { InvertibleConv } from './layers/invConv';
import { Squash } from './layers/squash';
import { type BlockPlan, type ModelPlan, planModel } from './shapes';
import type { Bijection, EncodeResult, FlowModel, ForwardObserver, LayerTrace, Transform } from './types';
import { mixSeed } from './variables';

export interface CreateFlowOptions {
  /** Seeds every initial weight: the same config and seed give the same model. */
  seed: number;
}

interface Block {
  name: string;
  plan: BlockPlan;
  /** The paper's f_act (null in the baselines, which have none). */
  act: ActivationLayer | null;
  /** f_act ∘ [squash] ∘ f_aff ∘ f_conv as one transform. */
  transform: CompositeTransform;
}

/** FlowModel plus what tests and tools need to look inside. */
export interface MultiScaleFlow extends FlowModel {
  readonly config: ModelConfig;
  readonly plan: ModelPlan;
  /** Every layer object, in `layers` order. */
  readonly bijections: readonly Bijection[];
  readonly blocks: readonly { name: string; apply(x: Tensor): Tensor; inputShape: number[] }[];
  /**
   * One composite per level, level 1 first, whose parts are the level's blocks (each a composite
   * of its layers): what a backward pass that recomputes inputs from outputs walks. Level l's
   * output keeps its first `plan.levels[l].keepChannels` channels for the next level.
   */
  readonly levels: readonly CompositeTransform[];
  activationMaxSlopes(): number[];
  activationSlopeData(): Tensor;
  activationMaxSlopesFrom(data: ArrayLike<number>): number[];
  /**
   * Data-dependent initialisation (Glow's ActNorm): runs x forward layer by layer and sets every
   * ActNorm from its own input, so each gives zero-mean unit-variance outputs on x. A no-op for
   * models without ActNorm. Called once, before a new run's first step.
   */
  initializeFromData(x: Tensor): void;
}

/** Counts model instances, to make tfjs variable names unique per process. */
let instances = 0;

export function createFlowModel(config: ModelConfig, options: CreateFlowOptions): MultiScaleFlow {
  if (!Number.isInteger(options.seed)) throw new Error(`createFlowModel: seed must be an integer, got ${options.seed}`);
  const plan = planModel(config);
  const unconstrained = config.ablation.unconstrained;
  const scope = `flow${++instances}/`;
  const built: Block[][] = [];
  const created: Bijection[] = [];
  const baseline = architectureOf(config).kind !== 'paper';
  try {
    for (const levelPlan of plan.levels) {
      const level: Block[] = [];
      for (const bp of levelPlan.blocks) {
        const name = `L${bp.level + 1}.B${bp.block + 1}`;
        if (baseline) {
          const lastLevel = bp.level === plan.levels.length - 1;
          const context = { config, block: name, level: bp.level, blockIndex: bp.block, scope, seed: mixSeed(options.seed, bp.level, bp.block) };
          const layers = baselineBlockLayers(config, bp, levelPlan, lastLevel).map((spec) => {
            const layer = buildBaselineLayer(spec, context);
            created.push(layer);
            return layer;
          });
          level.push({ name, plan: bp, act: null, transform: new CompositeTransform(name, layers) });
          continue;
        }
        const descriptor = (kind: LayerDescriptor['kind']): LayerDescriptor => ({ name: `${name}.${kind}`, level: bp.level, block: bp.block, kind });
        const inChannels = bp.inputShape[bp.inputShape.length - 1]!;
        const channels = bp.outputShape[bp.outputShape.length - 1]!;
        const seed = mixSeed(options.seed, bp.level, bp.block);
        // The activation first: κ·s must undo its initial slope (β, up to its own rounding).
        const act = createActivation(descriptor('act'), channels, config, `${scope}${name}.act`);
        created.push(act);
        const init = blockInitialization(act.initialSlope, config.coupling.mixtures);
        const convOptions = { descriptor: descriptor('conv'), channels: inChannels, kernel: bp.kernel, kappa: init.kappa, variablePrefix: `${scope}${name}.conv/` };
        const conv = config.convWeight === 'exp-qr' ? new ExpQrConv(convOptions) : new InvertibleConv(convOptions);
        created.push(conv);
        const aff = new DualAffineCoupling({
          descriptor: descriptor('aff'),
          channels,
          network: config.coupling.network,
          hidden: config.coupling.hidden,
          mixtures: config.coupling.mixtures,
          ...(config.coupling.seReduction !== undefined ? { seReduction: config.coupling.seReduction } : {}),
          unconstrained,
          logScaleInit: init.logScale,
          mexicanHatBiases: init.mexicanHatBiases,
          seed,
          variablePrefix: `${scope}${name}.aff/`,
        });
        created.push(aff);
        const squash = config.ablation.afterCoupling === 'none' ? null : new Squash(descriptor('squash'), config.ablation.afterCoupling);
        const layers: Bijection[] = squash ? [conv, aff, squash, act] : [conv, aff, act];
        level.push({ name, plan: bp, act, transform: new CompositeTransform(name, layers) });
      }
      built.push(level);
    }
  } catch (error) {
    for (const layer of created) disposeLayer(layer);
    throw error;
  }
  return new MultiScaleFlowImpl(config, plan, built, scope);
}

function disposeLayer(layer: Transform): void {
  if (layer.dispose) layer.dispose();
  else for (const v of layer.variables) v.dispose();
}

class MultiScaleFlowImpl implements MultiScaleFlow {
  readonly layers: readonly LayerDescriptor[];
  readonly latentShapes: readonly number[][];
  readonly dims: number;
  readonly variables: readonly Variable[];
  readonly parameterNames: readonly string[];
  readonly bijections: readonly Bijection[];
  readonly blocks: readonly { name: string; apply(x: Tensor): Tensor; inputShape: number[] }[];
  readonly levels: readonly CompositeTransform[];
  private readonly acts: ActivationLayer[];

  constructor(
    readonly config: ModelConfig,
    readonly plan: ModelPlan,
    levels: Block[][],
    scope: string,
  ) {
    const all = levels.flat();
    this.levels = levels.map((level, l) => new CompositeTransform(`L${l + 1}`, level.map((b) => b.transform)));
    this.bijections = all.flatMap((b) => b.transform.parts as Bijection[]);
    this.layers = this.bijections.map((l) => l.descriptor);
    this.latentShapes = plan.latentShapes;
    this.dims = plan.dims;
    this.variables = this.levels.flatMap((t) => [...t.variables]);
    this.parameterNames = this.variables.map((v) => {
      if (!v.name.startsWith(scope)) throw new Error(`flow model: variable "${v.name}" lies outside the model's scope "${scope}"`);
      return v.name.slice(scope.length);
    });
    if (new Set(this.parameterNames).size !== this.parameterNames.length) throw new Error('flow model: two parameters share a name');
    this.acts = all.flatMap((b) => (b.act ? [b.act] : []));
    this.blocks = all.map((b) => ({
      name: b.name,
      inputShape: [...b.plan.inputShape],
      apply: (x: Tensor) => tf.tidy(() => b.transform.forward(x).y),
    }));
  }

  forward(x: Tensor, options: { trace?: boolean } = {}): EncodeResult {
    this.checkInput(x);
    const trace = options.trace === true;
    return tf.tidy(() => {
      let h = x;
      let logdet: Tensor = tf.zeros([x.shape[0]!]);
      const latents: Tensor[] = [];
      const record: LayerTrace = { logdet: [], variance: [], mean: [], activationOutputs: [], blocks: [] };
      // Depth 0: the level's blocks; depth 1: a block's layers (see CompositeTransform).
      const observe: ForwardObserver = ({ transform, input, output, depth }) => {
        if (depth === 0) {
          // The first block's input is the caller's x: a clone (same data) so disposing the trace
          // never disposes the caller's tensor.
          record.blocks.push({ input: input === x ? tf.clone(input) : input, output: output.y });
          return;
        }
        record.logdet.push(tf.mean(output.logdet));
        const moments = tf.moments(output.y);
        record.variance.push(moments.variance);
        record.mean.push(moments.mean);
        if (this.acts.includes(transform as ActivationLayer)) record.activationOutputs.push(output.y);
      };
      this.levels.forEach((level, l) => {
        const r = level.forward(h, trace ? observe : undefined);
        logdet = tf.add(logdet, r.logdet);
        h = r.y;
        const keep = this.plan.levels[l]!.keepChannels;
        if (keep > 0) {
          const axis = h.rank - 1;
          const [kept, out] = tf.split(h, [keep, h.shape[axis]! - keep], axis) as [Tensor, Tensor];
          latents.push(out);
          h = kept;
        } else latents.push(h);
      });
      const result: { latents: Tensor[]; logdet: Tensor; trace?: LayerTrace } = { latents, logdet };
      if (trace) result.trace = record;
      return result as unknown as tf.TensorContainer;
    }) as unknown as EncodeResult;
  }

  inverse(latents: Tensor[]): Tensor {
    this.checkLatents(latents);
    return tf.tidy(() => {
      let h: Tensor | null = null;
      for (let l = this.levels.length - 1; l >= 0; l--) {
        const z = latents[l]!;
        h = h === null ? z : tf.concat([h, z], z.rank - 1);
        h = this.levels[l]!.inverse(h).x;
      }
      return h!;
    });
  }

  logProb(x: Tensor): Tensor {
    return tf.tidy(() => logLikelihood(this.forward(x)));
  }

  sampleLatents(n: number, temperature: number, seed: number): Tensor[] {
    if (!Number.isInteger(n) || n < 1) throw new Error(`sampleLatents: n must be a positive integer, got ${n}`);
    if (!Number.isFinite(temperature) || temperature < 0) throw new Error(`sampleLatents: temperature must be ≥ 0, got ${temperature}`);
    if (!Number.isInteger(seed)) throw new Error(`sampleLatents: seed must be an integer, got ${seed}`);
    return this.latentShapes.map((shape, l) => tf.randomNormal([n, ...shape], 0, temperature, 'float32', mixSeed(seed, l)));
  }

  activationMaxSlopes(): number[] {
    return this.acts.map((a) => a.maxDerivative());
  }

  activationSlopeData(): Tensor {
    if (this.acts.length === 0) return tf.zeros([0]);
    return tf.tidy(() => tf.concat(this.acts.map((a) => tf.reshape(a.slopeTable(), [-1]))));
  }

  initializeFromData(x: Tensor): void {
    this.checkInput(x);
    if (!this.bijections.some((b) => b instanceof ActNorm)) return;
    tf.tidy(() => {
      let h = x;
      this.levels.forEach((level, l) => {
        for (const block of level.parts as CompositeTransform[]) {
          for (const part of block.parts) {
            if (part instanceof ActNorm) part.initializeFrom(h);
            h = part.forward(h).y;
          }
        }
        const keep = this.plan.levels[l]!.keepChannels;
        if (keep > 0) h = tf.slice(h, Array<number>(h.rank).fill(0), [...h.shape.slice(0, -1), keep]);
      });
    });
  }

  activationMaxSlopesFrom(data: ArrayLike<number>): number[] {
    const total = this.acts.reduce((n, a) => n + a.slopeTableSize, 0);
    if (data.length !== total) throw new Error(`flow model: the activations' slope data has ${total} values, got ${data.length}`);
    let offset = 0;
    return this.acts.map((a) => {
      const values = Array.prototype.slice.call(data, offset, offset + a.slopeTableSize) as number[];
      offset += a.slopeTableSize;
      return Math.max(...a.maxDerivativeFromTable(values));
    });
  }

  dispose(): void {
    for (const level of this.levels) level.dispose();
  }

  private checkInput(x: Tensor): void {
    const expected = this.config.inputShape;
    const ok = x.rank === expected.length + 1 && expected.every((s, i) => x.shape[i + 1] === s) && x.shape[0]! > 0;
    if (!ok) throw new Error(`flow model: expects input [batch, ${expected.join(', ')}], got [${x.shape}]`);
    if (x.dtype !== 'float32') throw new Error(`flow model: expects float32 input, got ${x.dtype}`);
  }

  private checkLatents(latents: Tensor[]): void {
    if (latents.length !== this.latentShapes.length) {
      throw new Error(`flow model: inverse expects ${this.latentShapes.length} latents (one per level), got ${latents.length}`);
    }
    const batch = latents[0]!.shape[0];
    latents.forEach((z, l) => {
      const shape = this.latentShapes[l]!;
      const ok = z.rank === shape.length + 1 && shape.every((s, i) => z.shape[i + 1] === s) && z.shape[0] === batch;
      if (!ok) throw new Error(`flow model: latent of level ${l + 1} must be [${batch}, ${shape.join(', ')}], got [${z.shape}]`);
    });
  }
}
