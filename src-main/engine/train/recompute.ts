/**
 * Backprop by inverse recomputation (issue 11; the paper used gradient checkpointing, App. C):
 * a flow can rebuild every activation from its output, so the backward pass needs none stored.
 *
 * Forward, without a tape, block by block: each block runs in its own tidy scope and only its
 * output, its log-det and a few scalars survive it; at every split the factored-out latent is
 * kept. So what lives after the forward pass is the latents (the size of one batch of data),
 * not the activations of every block.
 *
 * Backward, block by block from the last: the block's input is recomputed from its output by
 * the block's exact inverse (no tape), then that one block runs forward under a tape and the
 * engine takes the vector-Jacobian product of the block's scalar
 *     J_b = Σ y_b ⊙ ∂L/∂y_b  +  Σ_batch logdet_b ⊙ ∂L/∂logdet  +  w·Σ_batch ‖y_b − x_b‖²
 * with respect to its input and its variables. ∂L/∂x_b is the next ∂L/∂y; the variables'
 * gradients are final (every variable belongs to one block). Each log-det enters the loss
 * through the total log-det only, and the Sec. 6.2 transport cost is a sum of per-block
 * displacements (objective.ts `blockDisplacement`, x_b squeezed as the block squeezes), so both
 * are handled inside the per-block pass. The seeds (∂L/∂z of each latent,
 * ∂L/∂logdet) come from autodiff of the objective's own loss-from-encoding function, and at each
 * split the latent's gradient is concatenated to the incoming gradient of the kept channels.
 *
 * Peak memory: the latents, one block's output and gradient, and one block's taped
 * intermediates: flat in depth. Cost: one extra inverse and one extra forward per block.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { CompositeTransform } from '../flow/composite';
import type { ModelPlan } from '../flow/shapes';
import type { FlowModel, ForwardObserver, Transform } from '../flow/types';
import { sumAll } from '../ops/sum';
import { type Tensor, tf } from '../tf';
import { lossUnit } from '../../../src-shared/lossUnit';
import { blockDisplacement, lossFromEncoding } from './objective';

/** A flow whose levels and splits the recomputation can walk (the multi-scale model). */
export interface RecomputableFlow extends FlowModel {
  readonly plan: ModelPlan;
  readonly levels: readonly CompositeTransform[];
}

export function isRecomputable(model: FlowModel): model is RecomputableFlow {
  const m = model as Partial<RecomputableFlow>;
  return Array.isArray(m.levels) && m.plan !== undefined;
}

export interface RecomputeOptions {
  /** Per-layer mean log-det and output variance, in `model.layers` order. */
  diagnostics: boolean;
  /**
   * Also keep every block's forward input (as plain autodiff would) and report how far the
   * recomputed input is from it: `drift`, [blocks, 2] of (max |x_recomputed − x_stored|,
   * max |x_stored|) in forward block order. For tests and benchmarks only: it costs the memory
   * the recomputation saves.
   */
  measureDrift: boolean;
  /**
   * Run each block's backward at the forward pass's own input instead of the recomputed one
   * (keeps every input, like `measureDrift`). A check of the per-block backward alone, apart
   * from the inverse's rounding: it must then equal plain autodiff to the last bit.
   */
  storedInputs?: boolean;
}

export type RecomputeResult = {
  /** What is differentiated: `nll` plus λ·`transport` (= `nll` without a transport cost). */
  objective: tf.Scalar;
  /** Mean loss of the batch (bpd for images, nats for toys): the likelihood alone. */
  nll: tf.Scalar;
  /** The unweighted transport cost T, when λ > 0. */
  transport?: tf.Scalar;
  /** Gradient of `objective` per variable, keyed by variable name (as `tf.variableGrads` keys them). */
  grads: Record<string, Tensor>;
  /** Per-layer mean log-det, output variance and output mean (`model.layers` order), on diagnostics steps. */
  layerLogdet?: Tensor;
  layerVariance?: Tensor;
  layerMean?: Tensor;
  /** [blocks, 2]: per block (forward order) max |x_recomputed − x_stored| and max |x_stored|. */
  drift?: Tensor;
};

interface BlockStats {
  layerLogdet: Tensor[];
  layerVariance: Tensor[];
  layerMean: Tensor[];
}

/** An observer recording a block's per-layer diagnostics (its layers are depth 0 of the block). */
function diagnosticsObserver(stats: BlockStats): ForwardObserver {
  return ({ output, depth }) => {
    if (depth !== 0) return;
    stats.layerLogdet.push(tf.mean(output.logdet));
    const moments = tf.moments(output.y);
    stats.layerVariance.push(moments.variance);
    stats.layerMean.push(moments.mean);
  };
}

/**
 * The vector-Jacobian product of one block at x: gradients of J_b (see the module comment)
 * with respect to x (when asked) and the block's trainable variables, under a tape that
 * lives only for this block.
 */
function blockVjp(
  block: Transform,
  x: Tensor,
  gy: Tensor,
  gLogdet: Tensor,
  transportWeight: number,
  withInputGrad: boolean,
): { gx: Tensor | null; grads: Map<string, Tensor> } {
  const variables = block.variables.filter((v) => v.trainable);
  const xs: Tensor[] = withInputGrad ? [x, ...variables] : [...variables];
  const grads = new Map<string, Tensor>();
  if (xs.length === 0) return { gx: null, grads };
  const result = tf.engine().gradients(
    () => {
      const r = block.forward(x);
      let j = tf.add(tf.sum(tf.mul(r.y, gy)), tf.sum(tf.mul(r.logdet, gLogdet)));
      if (transportWeight > 0) j = tf.add(j, tf.mul(tf.sum(blockDisplacement(x, r.y)), transportWeight));
      return j as tf.Scalar;
    },
    xs,
    undefined,
    true,
  );
  result.value.dispose();
  const offset = withInputGrad ? 1 : 0;
  variables.forEach((v, i) => {
    const g = result.grads[offset + i];
    if (g) grads.set(v.name, g);
  });
  // No path from x to the output would mean a block that ignores its input: not a bijection.
  const gx = withInputGrad ? (result.grads[0] ?? tf.zerosLike(x)) : null;
  return { gx, grads };
}

/**
 * Loss and gradients of every variable by inverse recomputation; every tensor not returned is
 * released (the whole computation runs in one tidy scope, and intermediates are disposed as soon
 * as the walk has passed them, so the scope never holds more than the module comment says).
 */
export function recomputeGradients(model: RecomputableFlow, config: ModelConfig, x: Tensor, options: RecomputeOptions): RecomputeResult {
  checkInput(config, x);
  return tf.tidy(() => {
    const walk = recomputeWalk(model, config, x, options);
    for (let next = walk.next(); ; next = walk.next()) if (next.done) return next.value as unknown as tf.TensorContainer;
  }) as unknown as RecomputeResult;
}

/**
 * The same computation (the same kernels in the same order: the same bits), handing the event
 * loop back between blocks (`between`), so an engine training on a backend whose kernels run
 * on the main thread (wasm, cpu) still answers requests within one block's time, not one
 * step's. No tidy scope spans an await: each stretch between two yields runs in its own, which
 * keeps what the walk still holds and frees the stretch's temporaries; what the walk held and
 * then let go is freed at the end, as the one scope of the synchronous form does.
 */
export async function recomputeGradientsYielding(
  model: RecomputableFlow,
  config: ModelConfig,
  x: Tensor,
  options: RecomputeOptions,
  between: () => Promise<void>,
): Promise<RecomputeResult> {
  checkInput(config, x);
  const walk = recomputeWalk(model, config, x, options);
  const held = new Set<Tensor>();
  let result: RecomputeResult | null = null;
  try {
    for (;;) {
      let done = false;
      const kept = tf.tidy(() => {
        const next = walk.next();
        done = next.done === true;
        if (next.done) {
          result = next.value;
          return resultTensors(next.value);
        }
        return next.value;
      });
      for (const t of kept) held.add(t);
      if (done) break;
      await between();
    }
  } finally {
    const keep = new Set(result ? resultTensors(result) : []);
    for (const t of held) if (t !== x && !keep.has(t) && !t.isDisposed) t.dispose();
  }
  return result!;
}

function resultTensors(r: RecomputeResult): Tensor[] {
  return [r.objective, r.nll, ...Object.values(r.grads), r.transport, r.layerLogdet, r.layerVariance, r.layerMean, r.drift].filter((t): t is Tensor => t !== undefined);
}

function checkInput(config: ModelConfig, x: Tensor): void {
  const expected = config.inputShape;
  if (x.rank !== expected.length + 1 || expected.some((s, i) => x.shape[i + 1] !== s)) {
    throw new Error(`recompute gradients: expects input [batch, ${expected.join(', ')}], got [${x.shape}]`);
  }
}

/**
 * The walk itself, as a generator: it yields, at each block boundary, every tensor it holds
 * at that moment (what must outlive the stretch before it), and returns the result.
 */
function* recomputeWalk(model: RecomputableFlow, config: ModelConfig, x: Tensor, options: RecomputeOptions): Generator<Tensor[], RecomputeResult, void> {
  const cost = config.ablation.transportCost;
  // T = mean over the batch of Σ_blocks displacement, per dimension for images (objective.ts).
  const transportScale = 1 / (x.shape[0]! * (lossUnit(config) === 'nats' ? 1 : model.dims));
  const transportWeight = cost > 0 ? cost * transportScale : 0;
  const { diagnostics } = options;
  const storedInputs = options.storedInputs === true;
  const measureDrift = options.measureDrift || storedInputs;

  {
    // ---- Forward, no tape: keep the latents (and the block inputs only when measuring drift).
    const latents: Tensor[] = [];
    const stored: Tensor[][] = [];
    const transport: Tensor[] = [];
    const layerLogdet: Tensor[] = [];
    const layerVariance: Tensor[] = [];
    const layerMean: Tensor[] = [];
    let logdet: Tensor = tf.zeros([x.shape[0]!]);
    let h = x;
    for (let l = 0; l < model.levels.length; l++) {
      const level = model.levels[l]!;
      stored.push([]);
      for (const block of level.parts) {
        if (measureDrift) stored[l]!.push(h);
        const r = tf.tidy(() => {
          const stats: BlockStats = { layerLogdet: [], layerVariance: [], layerMean: [] };
          const out = block.forward(h, diagnostics ? diagnosticsObserver(stats) : undefined);
          const moved = cost > 0 ? [tf.sum(blockDisplacement(h, out.y))] : [];
          return { y: out.y, total: tf.add(logdet, out.logdet), transport: moved, ...stats };
        });
        if (h !== x && !measureDrift) h.dispose();
        logdet.dispose();
        logdet = r.total;
        h = r.y;
        transport.push(...r.transport);
        layerLogdet.push(...r.layerLogdet);
        layerVariance.push(...r.layerVariance);
        layerMean.push(...r.layerMean);
        yield holding(latents, stored.flat(), transport, layerLogdet, layerVariance, layerMean, logdet, h);
      }
      const keep = model.plan.levels[l]!.keepChannels;
      if (keep > 0) {
        const axis = h.rank - 1;
        const [kept, out] = tf.split(h, [keep, h.shape[axis]! - keep], axis) as [Tensor, Tensor];
        if (h !== x) h.dispose();
        latents.push(out);
        h = kept;
      } else latents.push(h);
    }

    // ---- Seeds: ∂L/∂z per level and ∂L/∂logdet, by autodiff of the objective itself.
    const seed = tf.valueAndGrads((...parts: Tensor[]) =>
      tf.mean(lossFromEncoding(config, model.dims, parts.slice(0, -1), parts[parts.length - 1]!)),
    )([...latents, logdet]);
    const gLatents = seed.grads.slice(0, -1);
    const gLogdet = seed.grads[seed.grads.length - 1]!;
    const nll = seed.value as tf.Scalar;
    let objective = nll;
    let transportCost: tf.Scalar | undefined;
    if (cost > 0) {
      transportCost = tf.mul(sumAll(transport), transportScale) as tf.Scalar;
      objective = tf.add(nll, tf.mul(transportCost, cost));
    }
    yield holding(latents, stored.flat(), transport, layerLogdet, layerVariance, layerMean, seed.grads, nll, objective, transportCost);

    // ---- Backward, block by block from the last: recompute each input, then one block's VJP.
    const grads: Record<string, Tensor> = {};
    const drift: Tensor[] = [];
    const last = model.levels.length - 1;
    let y: Tensor = tf.clone(latents[last]!);
    let gy: Tensor = gLatents[last]!;
    for (let l = last; l >= 0; l--) {
      if (l < last) {
        // The level's output was [kept channels, latent]: y and gy so far are the kept part's.
        const axis = y.rank - 1;
        const yOut = tf.concat([y, latents[l]!], axis);
        const gOut = tf.concat([gy, gLatents[l]!], axis);
        tf.dispose([y, gy, gLatents[l]!]);
        y = yOut;
        gy = gOut;
      }
      const blocks = model.levels[l]!.parts;
      for (let b = blocks.length - 1; b >= 0; b--) {
        const block = blocks[b]!;
        const inv = block.inverse(y);
        inv.logdet.dispose();
        let xb = inv.x;
        if (measureDrift) {
          const ref = stored[l]![b]!;
          drift.unshift(tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(xb, ref))), tf.max(tf.abs(ref))])));
          if (storedInputs) {
            xb.dispose();
            xb = tf.clone(ref);
          }
        }
        // The first block's input is the data: its gradient is not needed.
        const first = l === 0 && b === 0;
        const vjp = blockVjp(block, xb, gy, gLogdet, transportWeight, !first);
        for (const [name, g] of vjp.grads) grads[name] = g;
        tf.dispose([y, gy]);
        y = xb;
        gy = vjp.gx ?? tf.scalar(0);
        yield holding(latents, stored.flat(), layerLogdet, layerVariance, layerMean, gLatents, gLogdet, nll, objective, transportCost, Object.values(grads), drift, y, gy);
      }
    }
    tf.dispose([y, gy]);
    const result: RecomputeResult = { objective, nll, grads };
    if (transportCost) result.transport = transportCost;
    if (diagnostics) {
      result.layerLogdet = tf.stack(layerLogdet);
      result.layerVariance = tf.stack(layerVariance);
      result.layerMean = tf.stack(layerMean);
    }
    if (options.measureDrift) result.drift = tf.stack(drift);
    return result;
  }
}

/** The live tensors among these (for the yielding form's stretches). */
function holding(...groups: (Tensor | undefined | Tensor[])[]): Tensor[] {
  return groups.flat().filter((t): t is Tensor => t !== undefined && !t.isDisposed);
}
