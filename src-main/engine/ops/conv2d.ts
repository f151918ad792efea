/**
 * 2-D convolution (NHWC, stride 1, 'same' padding, odd kernels) whose gradient is usable and
 * fast on every backend.
 *
 * Why: tfjs `cpu` computes the filter gradient (Conv2DBackpropFilter) about 100× slower than
 * its forward pass, and `wasm` has no Conv2DBackpropFilter at all, so `tf.conv2d` cannot be
 * trained on wasm. Here the gradient is supplied with `tf.customGrad`, and both halves of it
 * are forward convolutions, the one kernel every backend has and runs fast (XNNPACK on wasm):
 *  - input gradient: dy convolved with the spatially flipped filter whose in/out channels are
 *    swapped (exact for stride 1 and symmetric 'same' padding);
 *  - filter gradient: dW[a,b,i,o] = Σ_{n,h,w} xpad[n,h+a,w+b,i]·dy[n,h,w,o] is a 'valid'
 *    convolution of the padded input with batch and channel axes exchanged ([Cin, H+2p, W+2p, N])
 *    by dy used as the filter ([H, W, N, Cout]); its output [Cin, k, k, Cout] is transposed back.
 *    Measured on 2 cores at [16,14,14,64]→10 channels, 3×3: 9 ms on wasm and 190 ms on cpu,
 *    against 42 ms / 2100 ms for an im2col matmul (tfjs slices are slow) and ~6 s on cpu for
 *    tfjs's own Conv2DBackpropFilter.
 * 1×1 convolutions are matmuls over the flattened pixels (ops/matmul.ts: plain products only).
 */
import { type Tensor, tf } from '../tf';
import { matMul } from './matmul';

type T4 = tf.Tensor4D;

function checkShapes(x: Tensor, filter: Tensor): void {
  if (x.rank !== 4) throw new Error(`conv2d: input must be [batch, height, width, channels], got shape [${x.shape}]`);
  if (filter.rank !== 4) throw new Error(`conv2d: filter must be [kh, kw, in, out], got shape [${filter.shape}]`);
  const [kh, kw, cin] = filter.shape as [number, number, number, number];
  if (kh !== kw || kh % 2 !== 1) throw new Error(`conv2d: kernel must be square and odd for 'same' padding, got ${kh}×${kw}`);
  if (x.shape[3] !== cin) throw new Error(`conv2d: input has ${x.shape[3]} channels but the filter expects ${cin}`);
}

/** x [N,H,W,Cin] · W [Cin,Cout] per pixel. */
function pointwise(x: T4, filter: T4): T4 {
  const [n, h, w, cin] = x.shape;
  const cout = filter.shape[3];
  const flat = matMul(tf.reshape(x, [n * h * w, cin]), tf.reshape(filter, [cin, cout]));
  return tf.reshape(flat, [n, h, w, cout]);
}

/** dL/dW of a 'same' stride-1 convolution, as one forward 'valid' convolution (see above). */
export function filterGradient(x: T4, dy: T4, k: number): T4 {
  const p = (k - 1) / 2;
  const padded = tf.pad(x, [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ]);
  const input = tf.transpose(padded, [3, 1, 2, 0]) as T4;
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as T4;
  return tf.transpose(tf.conv2d(input, filter, 1, 'valid'), [1, 2, 0, 3]);
}

const spatialConv = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
  const [x4, f4, save] = args as [T4, T4, tf.GradSaveFunc];
  save([x4, f4]);
  const value = tf.conv2d(x4, f4, 1, 'same');
  return {
    value,
    gradFunc: (dy: T4, saved: Tensor[]) => {
      const [xs, fs] = saved as [T4, T4];
      const dy4 = dy;
      const flipped = tf.transpose(tf.reverse(fs, [0, 1]), [0, 1, 3, 2]) as T4;
      return [tf.conv2d(dy4, flipped, 1, 'same'), filterGradient(xs, dy4, fs.shape[0])];
    },
  };
});

/**
 * 'same'-padded, stride-1 convolution of x [N,H,W,Cin] with filter [k,k,Cin,Cout] (k odd).
 * Differentiable in both arguments on cpu, wasm and tensorflow.
 */
export function conv2d(x: Tensor, filter: Tensor): T4 {
  checkShapes(x, filter);
  if (filter.shape[0] === 1) return pointwise(x as T4, filter as T4);
  return spatialConv(x, filter) as T4;
}
