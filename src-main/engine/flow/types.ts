/**
 * The contract between the flow (layers, model) and everything that uses it (training,
 * sampling, theory, the handlers). Shapes are NHWC for images ([batch, h, w, c]) and
 * [batch, d] for vectors (2-D toys).
 */
import type { LayerDescriptor } from '../../../src-shared/protocol';
import type { Tensor, Variable } from '../tf';

/** Output of a bijection's forward pass (a type, not an interface, so tf.tidy can return it). */
export type ForwardResult = {
  y: Tensor;
  /** log|det J_f(x)| per example, shape [batch]. */
  logdet: Tensor;
};

/** Output of a bijection's inverse pass. */
export type InverseResult = {
  x: Tensor;
  /** log|det J_{f⁻¹}(y)| per example, shape [batch]: −(forward log-det at x). */
  logdet: Tensor;
};

/**
 * Anything invertible with a log-det, as in nflows' `Transform`: a layer, a block, a level.
 * `forward` and `inverse` each return their own log-det, so a composite can be run either way
 * and per-block recomputation can rebuild inputs from outputs.
 */
export interface Transform {
  forward(x: Tensor, observe?: ForwardObserver): ForwardResult;
  inverse(y: Tensor): InverseResult;
  /** Trainable variables (empty for parameter-free transforms). */
  readonly variables: readonly Variable[];
  /** Frees the variables and any constant tensors owned. */
  dispose?(): void;
}

/** One invertible layer: f_conv, f_aff, the Sec. 6.2 squash, f_act. */
export interface Bijection extends Transform {
  readonly descriptor: LayerDescriptor;
}

/**
 * Called by a composite after each of its parts ran forward (inside the composite's tidy: keep
 * what you take with the tensors you return, or it is disposed). Nested composites report their
 * own parts first, then are reported themselves by their parent; `depth` is 0 for the parts of
 * the outermost composite.
 */
export type ForwardObserver = (step: { transform: Transform; input: Tensor; output: ForwardResult; depth: number }) => void;

/** Per-layer diagnostics of one forward pass, in `FlowModel.layers` order. */
export interface LayerTrace {
  /** Mean over the batch of each layer's log|det J|, nats; scalars. */
  logdet: Tensor[];
  /** Variance of each layer's output over batch and dimensions; scalars. */
  variance: Tensor[];
  /** Mean of each layer's output over batch and dimensions; scalars (with `variance`, the moments that shards combine exactly). */
  mean: Tensor[];
  /** Each f_act layer's output; same order as act layers. */
  activationOutputs: Tensor[];
  /** Each block's input and output (f_l's domain and image), in block order. */
  blocks: { input: Tensor; output: Tensor }[];
}

export interface EncodeResult {
  /** The factored-out latent of each level, level 1 first; the last level's is the final output. */
  latents: Tensor[];
  /** Total log|det J| per example, [batch]. */
  logdet: Tensor;
  /** Present when requested (forward(x, {trace: true})). */
  trace?: LayerTrace;
}

export interface FlowModel {
  /** Every layer in forward order, as the diagnostics name them. */
  readonly layers: readonly LayerDescriptor[];
  /** Shapes (without batch) of each level's latent, level 1 first. */
  readonly latentShapes: readonly number[][];
  /** Number of dimensions d of one example. */
  readonly dims: number;
  /** All trainable variables, in a stable order. */
  readonly variables: readonly Variable[];
  /**
   * Logical names of `variables` (same order), independent of the instance: tfjs variable
   * names are global and must be unique per process, so two instances of one model (a run
   * training while its checkpoint is loaded for sampling) cannot share them. Checkpoints are
   * keyed by these, e.g. `L1.B2.conv/w`.
   */
  readonly parameterNames: readonly string[];

  /** x (model input range, see units.ts) -> per-level latents and log-det. */
  forward(x: Tensor, options?: { trace?: boolean }): EncodeResult;
  /** Per-level latents -> x. */
  inverse(latents: Tensor[]): Tensor;
  /** log p(x) in nats per example, [batch]: log N(z; 0, I) summed over levels + log-det. */
  logProb(x: Tensor): Tensor;
  /** Standard-normal latents scaled by `temperature`, one tensor per level. */
  sampleLatents(n: number, temperature: number, seed: number): Tensor[];
  /**
   * Largest derivative of each f_act layer (act-layer order), for the f' <= 1 diagnostics. A
   * synchronous host read: tests and tools; training reads `activationSlopeData` instead.
   */
  activationMaxSlopes?(): number[];
  /** What `activationMaxSlopes` depends on, as one flat device vector (read with other numbers). */
  activationSlopeData?(): Tensor;
  /** `activationMaxSlopes` from the values of `activationSlopeData()` (host, no read). */
  activationMaxSlopesFrom?(data: ArrayLike<number>): number[];
  /** Each block as a map x -> block(x), for Lipschitz estimates (inputShape without batch). */
  readonly blocks?: readonly { name: string; apply(x: Tensor): Tensor; inputShape: number[] }[];
  /**
   * Data-dependent initialisation (Glow's ActNorm: zero-mean unit-variance outputs on x); absent
   * or a no-op for models without it. Called once before a new run's first step.
   */
  initializeFromData?(x: Tensor): void;
  /** Every trainable variable disposed. */
  dispose(): void;
}
