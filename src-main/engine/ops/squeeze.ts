/**
 * Space-to-depth by k (the "squeeze" of RealNVP/Glow) and its inverse, with 4-D reshapes and
 * transposes only (every backend has them, with gradients).
 *
 * [N, H, W, C] → [N, H/k, W/k, k²C]; output channel (a·k + b)·C + c holds input pixel
 * (k·i + a, k·j + b), channel c, for output pixel (i, j).
 */
import { type Tensor, tf } from '../tf';

export function squeeze(x: Tensor, k: number): Tensor {
  if (k === 1) return x;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (x.rank !== 4 || h % k !== 0 || w % k !== 0) {
    throw new Error(`squeeze by ${k}: needs [batch, height, width, channels] with height and width divisible by ${k}, got [${x.shape}]`);
  }
  // [N·H/k, k, W/k, k·C]: rows (n, i), then a, then j, then (b, c).
  const rows = tf.reshape(x, [n * (h / k), k, w / k, k * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h / k, w / k, k * k * c]);
}

export function unsqueeze(y: Tensor, k: number): Tensor {
  if (k === 1) return y;
  const [n, h, w, kkc] = y.shape as [number, number, number, number];
  if (y.rank !== 4 || kkc % (k * k) !== 0) {
    throw new Error(`unsqueeze by ${k}: needs [batch, height, width, channels] with channels divisible by ${k * k}, got [${y.shape}]`);
  }
  const c = kkc / (k * k);
  const rows = tf.reshape(y, [n * h, w, k, k * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h * k, w * k, c]);
}
