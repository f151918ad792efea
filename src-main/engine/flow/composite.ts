/**
 * A sequence of transforms run as one (nflows' `CompositeTransform`): forward applies the parts
 * in order and sums their log-dets; inverse applies the parts' inverses in reverse order and sums
 * theirs. Blocks (f_act ∘ [squash] ∘ f_aff ∘ f_conv) and levels (a run of blocks) are
 * composites, so the multi-scale model has one loop over its levels and nothing else walks the
 * layer structure by hand.
 */
import { type Tensor, type Variable, tf } from '../tf';
import type { ForwardObserver, ForwardResult, InverseResult, Transform } from './types';

export class CompositeTransform implements Transform {
  readonly variables: readonly Variable[];

  constructor(
    /** A name for errors and diagnostics, e.g. `L1.B3` or `L2`. */
    readonly name: string,
    readonly parts: readonly Transform[],
  ) {
    if (parts.length === 0) throw new Error(`${name}: a composite needs at least one part`);
    this.variables = parts.flatMap((p) => [...p.variables]);
  }

  /**
   * Runs the parts in order. With an observer, every part is reported after it ran (a nested
   * composite first reports its own parts, one level deeper), so one forward pass can also record
   * per-layer and per-block diagnostics. With an observer the composite opens no tidy scope of
   * its own: what the observer records lives in the caller's scope, which must return or
   * dispose it (the multi-scale model's forward returns it as the trace).
   */
  forward(x: Tensor, observe?: ForwardObserver): ForwardResult {
    return this.run(x, observe, 0);
  }

  inverse(y: Tensor): InverseResult {
    return tf.tidy(() => {
      let h = y;
      let logdet: Tensor | null = null;
      for (let i = this.parts.length - 1; i >= 0; i--) {
        const r = this.parts[i]!.inverse(h);
        h = r.x;
        logdet = logdet === null ? r.logdet : tf.add(logdet, r.logdet);
      }
      return { x: h, logdet: logdet! };
    });
  }

  dispose(): void {
    for (const part of this.parts) {
      if (part.dispose) part.dispose();
      else for (const v of part.variables) v.dispose();
    }
  }

  /** Forward at a nesting depth (the observer's `depth` of this composite's parts). */
  private run(x: Tensor, observe: ForwardObserver | undefined, depth: number): ForwardResult {
    const body = (): ForwardResult => {
      let h = x;
      let logdet: Tensor | null = null;
      for (const part of this.parts) {
        const r: ForwardResult =
          part instanceof CompositeTransform ? part.run(h, observe, depth + 1) : part.forward(h);
        observe?.({ transform: part, input: h, output: r, depth });
        h = r.y;
        logdet = logdet === null ? r.logdet : tf.add(logdet, r.logdet);
      }
      return { y: h, logdet: logdet! };
    };
    return observe ? body() : tf.tidy(body);
  }
}
