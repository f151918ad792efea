/**
 * Per-block Lipschitz estimates of a real (small, perturbed) multi-scale flow against the
 * spectral norm of each block's dense Jacobian, built row by row by reverse mode and reduced
 * in float64 (Jacobi eigenvalues of JᵀJ).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { tf } from '../../../src-main/engine/tf';
import { lipschitzPerBlock } from '../../../src-main/engine/theory/blockLipschitz';
import { largestSingularValue } from './helpers/reference64';
import { jacobianAt } from '../../../src-main/engine/check/jacobian';

beforeAll(async () => {
  await initBackend('cpu');
});

const config: ModelConfig = {
  inputShape: [4, 4, 2],
  levels: 2,
  blocksPerLevel: 1,
  splitFraction: 0.5,
  firstConvKernel: 2,
  convKernel: 1,
  coupling: { network: 'convnet', hidden: 8, mixtures: 2 },
  activation: { bins: 4, variant: 'paper', tailBound: 1e5 },
  beta: 0.8,
  bits: 8,
  ablation: { afterCoupling: 'none', transportCost: 0, unconstrained: false },
};

describe('lipschitzPerBlock', () => {
  it('matches each block’s dense spectral norm at the data that reaches it', async () => {
    const model = createFlowModel(config, { seed: 3 });
    // Move away from the identity-like initialisation so the blocks are genuinely nonlinear.
    model.variables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.15, 'float32', 100 + i))));
    const x = tf.randomUniform([1, 4, 4, 2], -0.5, 0.5, 'float32', 7);
    const blocks = model.blocks!;
    const before = tf.memory().numTensors;
    const results = await lipschitzPerBlock(blocks, x, { iterations: 40 });
    expect(tf.memory().numTensors).toBe(before);
    expect(results.map((r) => r.name)).toEqual(['L1.B1', 'L2.B1']);
    expect(results.every((r) => r.input === 'data' && r.method === 'double-vjp')).toBe(true);

    // The inputs as the model sees them; chaining with the leading-channels split reproduces
    // the model's own last latent, which checks the split convention.
    let h = x.clone();
    for (const [i, block] of blocks.entries()) {
      if (h.shape[3] !== block.inputShape[2]) {
        const kept = tf.slice(h, [0, 0, 0, 0], [1, ...block.inputShape]);
        h.dispose();
        h = kept;
      }
      const jac = jacobianAt(block.apply, h);
      const sigma = largestSingularValue(jac.matrix, jac.rows, jac.cols);
      // Power iteration approaches ‖J‖ from below (a Rayleigh quotient); 40 steps suffice here.
      expect(results[i]!.estimate, block.name).toBeLessThanOrEqual(sigma * (1 + 1e-4));
      expect(Math.abs(results[i]!.estimate - sigma) / sigma, block.name).toBeLessThan(5e-3);
      const next = block.apply(h);
      h.dispose();
      h = next;
    }
    const { latents, logdet } = model.forward(x);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(latents[latents.length - 1]!, h))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([h, x, logdet, ...latents]);
    model.dispose();
  });
});
