/**
 * Local Lipschitz estimates (Sec. 2.3, Eq. 8): the spectral norm ‖J_f(x)‖ of a map's Jacobian at
 * each example of a batch, by power iteration on JᵀJ.
 *
 * Each iteration needs J v and Jᵀ u. tfjs has reverse mode only:
 *  - Jᵀu is one VJP: ∇ₓ⟨f(x), u⟩.
 *  - Jv by the double-VJP trick: g(u) = Jᵀu is linear in u, so ∇ᵤ⟨g(u), v⟩ = Jv for any u (we
 *    use u = 0). It needs the backward pass of f to be differentiable as a function of its
 *    cotangent, which holds when every gradient (including custom ones) is built from tfjs
 *    ops: tfjs records the ops of an inner backward pass on the outer tape. A custom gradient
 *    that reads values on the host (dataSync) breaks it.
 *  - 'auto' checks the double VJP once by the adjoint identity ⟨u, Jv⟩ = ⟨Jᵀu, v⟩ and falls
 *    back to a central finite difference (f(x + εv) − f(x − εv))/2ε when it fails or throws.
 *    The finite difference is a last resort: error O(ε²) plus float32 rounding (~1e-4
 *    relative) for smooth maps, but percents when the step crosses a ReLU kink.
 *
 * J is block-diagonal over the batch (examples do not interact), so one power iteration with
 * per-example normalisation estimates every example's ‖J‖ at once. The estimate converges from
 * below (a Rayleigh quotient), at rate (σ₂/σ₁)² per iteration; the largest over the batch is a
 * lower bound on the map's Lipschitz constant over the data.
 */
import { type Tensor, tf } from '../tf';

export type JvpMethod = 'double-vjp' | 'finite-difference';

export interface LipschitzOptions {
  /** Power iterations (default 20). */
  iterations?: number;
  /** Seed of the random start vector. */
  seed?: number;
  method?: JvpMethod | 'auto';
}

export interface LipschitzEstimate {
  /** max over the batch of ‖J_f(x_b)‖₂. */
  estimate: number;
  perExample: number[];
  method: JvpMethod;
  iterations: number;
}

type MapFn = (x: Tensor) => Tensor;

/** Jᵀu at x (same shape as x). */
export function vjp(f: MapFn, x: Tensor, u: Tensor): Tensor {
  return tf.tidy(() => tf.grad((input: Tensor) => tf.sum(tf.mul(f(input), u)))(x));
}

/** Jv at x by differentiating the VJP with respect to its cotangent. */
export function jvpDoubleVjp(f: MapFn, x: Tensor, v: Tensor): Tensor {
  return tf.tidy(() => {
    const y = f(x);
    const u0 = tf.zerosLike(y);
    return tf.grad((u: Tensor) => tf.sum(tf.mul(vjp(f, x, u), v)))(u0);
  });
}

/** Jv at x by a central difference with a step relative to the size of x and v. */
export function jvpFiniteDifference(f: MapFn, x: Tensor, v: Tensor): Tensor {
  return tf.tidy(() => {
    // The step's scale stays on the device (no host read): max(1, rms x) / rms v, with rms v = 0 read as 1.
    const xScale = tf.maximum(tf.sqrt(tf.mean(tf.square(x))), 1);
    const vRms = tf.sqrt(tf.mean(tf.square(v)));
    const vScale = tf.where(tf.greater(vRms, 0), vRms, tf.onesLike(vRms));
    // cbrt(float32 epsilon) ≈ 5e-3 balances truncation (ε²) against rounding (eps/ε).
    const eps = tf.div(tf.mul(xScale, 5e-3), vScale);
    const step = tf.mul(v, eps);
    return tf.div(tf.sub(f(tf.add(x, step)), f(tf.sub(x, step))), tf.mul(eps, 2));
  });
}

function jvp(f: MapFn, x: Tensor, v: Tensor, method: JvpMethod): Tensor {
  return method === 'double-vjp' ? jvpDoubleVjp(f, x, v) : jvpFiniteDifference(f, x, v);
}

/** Per-example Euclidean norms of a [batch, ...] tensor, as a [batch, 1, ...] tensor for broadcasting. */
function exampleNorms(t: Tensor): Tensor {
  return tf.tidy(() => {
    const flat = tf.reshape(t, [t.shape[0]!, -1]);
    const norms = tf.sqrt(tf.sum(tf.square(flat), 1));
    return tf.reshape(norms, [t.shape[0]!, ...Array<number>(t.rank - 1).fill(1)]);
  });
}

function normalise(t: Tensor): Tensor {
  return tf.tidy(() => tf.div(t, tf.maximum(exampleNorms(t), 1e-30)));
}

/**
 * Decides the JVP method for 'auto' by the adjoint identity ⟨u, Jv⟩ = ⟨Jᵀu, v⟩ at a random u:
 * Jᵀu is a plain first-order VJP (what training relies on), so a double VJP that lost part of
 * the tape (zeros, or a wrong value) fails it, while a correct one passes to float32 rounding.
 * A finite-difference comparison is no test here: across a ReLU kink of a coupling network
 * the central difference is off by percents even though the double VJP is exact.
 */
async function chooseMethod(f: MapFn, x: Tensor, v: Tensor, seed: number): Promise<JvpMethod> {
  let jv: Tensor;
  try {
    jv = jvpDoubleVjp(f, x, v);
  } catch {
    return 'finite-difference';
  }
  const rel = tf.tidy(() => {
    const u = tf.randomNormal(jv.shape, 0, 1, 'float32', seed + 7919);
    const jtu = vjp(f, x, u);
    const lhs = tf.sum(tf.mul(u, jv));
    const rhs = tf.sum(tf.mul(jtu, v));
    const scale = tf.maximum(tf.maximum(tf.mul(tf.norm(u), tf.norm(jv)), tf.mul(tf.norm(jtu), tf.norm(v))), 1e-30);
    return tf.div(tf.abs(tf.sub(lhs, rhs)), scale);
  });
  const value = (await rel.data())[0]!;
  tf.dispose([jv, rel]);
  return Number.isFinite(value) && value < 1e-4 ? 'double-vjp' : 'finite-difference';
}

/** Power iteration on JᵀJ at every example of the batch x ([batch, ...inputShape]). */
export async function estimateLipschitz(f: MapFn, x: Tensor, options: LipschitzOptions = {}): Promise<LipschitzEstimate> {
  const iterations = options.iterations ?? 20;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`lipschitz: iterations must be a positive integer, got ${iterations}`);
  if (x.rank < 2) throw new Error(`lipschitz: x must be a batch [batch, ...shape], got shape [${x.shape.join(', ')}]`);
  let v = tf.tidy(() => normalise(tf.randomNormal(x.shape, 0, 1, 'float32', options.seed ?? 1)));
  const requested = options.method ?? 'auto';
  const method: JvpMethod = requested === 'auto' ? await chooseMethod(f, x, v, options.seed ?? 1) : requested;
  try {
    for (let i = 0; i < iterations; i++) {
      const next = tf.tidy(() => normalise(vjp(f, x, jvp(f, x, v, method))));
      v.dispose();
      v = next;
    }
    const norms = tf.tidy(() => tf.reshape(exampleNorms(jvp(f, x, v, method)), [-1]));
    const perExample = Array.from(await norms.data());
    norms.dispose();
    if (!perExample.every(Number.isFinite)) throw new Error('lipschitz: the Jacobian-vector product is not finite (the map overflows at this input)');
    return { estimate: Math.max(...perExample), perExample, method, iterations };
  } finally {
    v.dispose();
  }
}
