/**
 * Exact units for n-bit image data (PAPER.md §1).
 *
 * Data are integers k ∈ {0, …, 2ⁿ−1} per dimension. Uniform dequantisation x̃ = k + u,
 * u ~ U[0, 1)^d, gives a continuous density on [0, 2ⁿ)^d whose likelihood lower-bounds the
 * discrete one. The model sees x = x̃/2ⁿ − ½ ∈ [−½, ½)^d (the model input range). The scaling
 * has Jacobian 2^{−n} per dimension, so
 *   −log p(x̃) = −log p_model(x) + d·n·ln 2          (nats per example)
 *   bpd       = −log p(x̃) / (d·ln 2) = −log p_model(x)/(d·ln 2) + n.
 * 2-D toys are continuous: their metric is −log p_model(x) in nats, no dequantisation.
 */
import { type Tensor, tf } from '../tf';

/** The input range of image models: x ∈ [INPUT_LOW, INPUT_LOW + 1). */
export const INPUT_LOW = -0.5;

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new Error(`bits must be an integer in [1, 16], got ${bits}`);
}

/**
 * Integer pixels (host array, NHWC) → dequantised model input x = (k + u)/2ⁿ − ½ [n, ...shape].
 * u is drawn on the device from `seed` (the same seed gives the same noise). Throws, naming the
 * offending index, when a value is not an integer in [0, 2ⁿ).
 */
export function dequantize(data: ArrayLike<number>, shape: number[], bits: number, seed: number): Tensor {
  checkBits(bits);
  if (!Number.isInteger(seed)) throw new Error(`dequantize: seed must be an integer, got ${seed}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`dequantize: shape [${shape}] needs ${size} values, got ${data.length}`);
  const levels = 2 ** bits;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const k = data[i]!;
    if (!(Number.isInteger(k) && k >= 0 && k < levels)) {
      throw new Error(`dequantize: value ${k} at index ${i} is not a ${bits}-bit integer (0 … ${levels - 1})`);
    }
    values[i] = k;
  }
  return tf.tidy(() => {
    const k = tf.tensor(values, shape, 'float32');
    return dequantizeTensor(k, bits, seed);
  });
}

/** Same as `dequantize` for integer values already in a float32 tensor (not validated). */
export function dequantizeTensor(k: Tensor, bits: number, seed: number): Tensor {
  checkBits(bits);
  return tf.tidy(() => {
    const u = tf.randomUniform(k.shape, 0, 1, 'float32', seed);
    return tf.add(tf.mul(tf.add(k, u), 1 / 2 ** bits), INPUT_LOW);
  });
}

/** Model-range values → integer pixels floor((x + ½)·2ⁿ), clamped to [0, 2ⁿ−1] (for display). */
export function quantize(x: Tensor, bits: number): Tensor {
  checkBits(bits);
  return tf.tidy(() => tf.clipByValue(tf.floor(tf.mul(tf.sub(x, INPUT_LOW), 2 ** bits)), 0, 2 ** bits - 1));
}

/** −log p(x̃) in nats per example from the model's log p(x) ([batch]). */
export function dequantizedNll(logProbModel: Tensor, dims: number, bits: number): Tensor {
  checkBits(bits);
  checkDims(dims);
  return tf.tidy(() => tf.add(tf.neg(logProbModel), dims * bits * Math.LN2));
}

/** Bits per dimension per example from the model's log p(x) ([batch]). */
export function bitsPerDim(logProbModel: Tensor, dims: number, bits: number): Tensor {
  return tf.tidy(() => tf.div(dequantizedNll(logProbModel, dims, bits), dims * Math.LN2));
}

/** Host-side conversion of a mean −log p(x̃) (nats per example) to bits per dimension. */
export function nllToBpd(nllNats: number, dims: number): number {
  checkDims(dims);
  return nllNats / (dims * Math.LN2);
}

/**
 * Reference value: a model that is the identity on data uniform in the input range has
 * E[−log N(x; 0, I)]/d = ½·ln(2π) + E[x²]/2 = ½·ln(2π) + 1/24 nats per dimension
 * (x ~ U[−½, ½): E[x²] = 1/12), hence bpd = (½·ln(2π) + 1/24)/ln 2 + n.
 */
export function identityUniformBpd(bits: number): number {
  checkBits(bits);
  return (0.5 * Math.log(2 * Math.PI) + 1 / 24) / Math.LN2 + bits;
}

function checkDims(dims: number): void {
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`dims must be a positive integer, got ${dims}`);
}
