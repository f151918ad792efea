/**
 * Invertibility in numbers: f⁻¹(f(x)) with every level's latent kept, and its largest deviation
 * max |f⁻¹(f(x)) − x| over every element (the reconstruction error the trainer logs, `check`
 * reports and the latent studio shows). A device scalar: callers read it with their other numbers.
 */
import { type Tensor, tf } from '../tf';
import type { FlowModel } from './types';

export interface RoundTrip {
  /** f⁻¹(f(x)), x's shape. */
  reconstruction: Tensor;
  /** max |f⁻¹(f(x)) − x|, a scalar. */
  error: Tensor;
}

export function roundTrip(model: FlowModel, x: Tensor): RoundTrip {
  return tf.tidy(() => {
    const reconstruction = model.inverse(model.forward(x).latents);
    return { reconstruction, error: maxAbsError(reconstruction, x) };
  });
}

/** max |a − b| over every element (a reconstruction against its original), a device scalar. */
export function maxAbsError(a: Tensor, b: Tensor): Tensor {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
}
