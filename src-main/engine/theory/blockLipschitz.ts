/**
 * Lipschitz estimates of every block of a flow (Sec. 2.3 / 3.1) at real inputs.
 *
 * Each block is evaluated where it actually operates: the data batch is pushed through the
 * blocks in order, and each block's estimate is taken at the batch that reaches it. Between
 * levels the multi-scale split factors channels out; the model keeps the FIRST channels
 * (flow/model.ts: `tf.split(h, [keep, channels − keep])`, the kept part first), so when a block
 * expects the same spatial size with fewer channels its input is the leading channels. If a
 * block's input shape cannot be matched at all, it is probed at standard-normal inputs instead
 * (what the blockwise initialisation makes intermediate maps look like) and says so.
 */
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { type JvpMethod, type LipschitzOptions, estimateLipschitz } from './lipschitz';

type Block = NonNullable<FlowModel['blocks']>[number];

export interface BlockLipschitz {
  name: string;
  /** max over the batch of ‖J_block(x_b)‖₂. */
  estimate: number;
  /** Mean over the batch. */
  mean: number;
  /** Where the block was probed. */
  input: 'data' | 'gaussian';
  method: JvpMethod;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The block's input from the running batch h ([batch, ...shape]), or null if it cannot be matched. */
function inputFor(h: Tensor, inputShape: readonly number[]): Tensor | null {
  const shape = h.shape.slice(1);
  if (sameShape(shape, inputShape)) return h.clone();
  const axis = shape.length - 1;
  const fewerChannels = shape.length === inputShape.length && sameShape(shape.slice(0, axis), inputShape.slice(0, axis)) && inputShape[axis]! < shape[axis]!;
  if (!fewerChannels) return null;
  return tf.slice(h, Array<number>(h.rank).fill(0), [h.shape[0]!, ...inputShape]);
}

export async function lipschitzPerBlock(blocks: readonly Block[], x: Tensor, options: LipschitzOptions = {}): Promise<BlockLipschitz[]> {
  if (blocks.length === 0) throw new Error('lipschitz: the model exposes no blocks');
  const out: BlockLipschitz[] = [];
  let h: Tensor | null = x.clone();
  try {
    for (const block of blocks) {
      let input: Tensor | null = h ? inputFor(h, block.inputShape) : null;
      const fromData = input !== null;
      if (!input) input = tf.randomNormal([x.shape[0]!, ...block.inputShape], 0, 1, 'float32', (options.seed ?? 1) + out.length);
      try {
        const result = await estimateLipschitz(block.apply, input, options);
        const mean = result.perExample.reduce((a, b) => a + b, 0) / result.perExample.length;
        out.push({ name: block.name, estimate: result.estimate, mean, input: fromData ? 'data' : 'gaussian', method: result.method });
        const next: Tensor = tf.tidy(() => block.apply(input!));
        h?.dispose();
        h = next;
      } finally {
        input.dispose();
      }
    }
  } finally {
    h?.dispose();
  }
  return out;
}
