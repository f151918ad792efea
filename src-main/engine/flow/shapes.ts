/**
 * Shape arithmetic of the multi-scale architecture (Sec. 4.2): per level, the input shape of
 * every block (each block's f_conv squeezes by its kernel k: h×w×c → h/k×w/k×k²c), and the
 * latent factored out after the level (the last `splitFraction` of the channels; the last
 * level's whole output is its latent). Vector inputs [d] are one "pixel" with d channels.
 */
import { type ModelConfig, blockKernel, checkModelShape } from '../../../src-shared/config';
import { lossUnit } from '../../../src-shared/lossUnit';

export interface BlockPlan {
  /** 0-based. */
  level: number;
  block: number;
  kernel: number;
  /** Without batch: [h, w, c] or [d]. */
  inputShape: number[];
  outputShape: number[];
}

export interface LevelPlan {
  blocks: BlockPlan[];
  /** Channels that continue to the next level (the first ones); 0 for the last level. */
  keepChannels: number;
  /** Shape (without batch) of this level's latent. */
  latentShape: number[];
}

export interface ModelPlan {
  levels: LevelPlan[];
  latentShapes: number[][];
  dims: number;
}

export function planModel(config: ModelConfig): ModelPlan {
  const problems = checkModelShape(config);
  if (lossUnit(config) === 'nats' && problems.length === 0) {
    // checkModelShape does not follow the splits of vector models.
    let d = config.inputShape[0]!;
    for (let level = 0; level < config.levels - 1; level++) {
      const out = d * config.splitFraction;
      if (!Number.isInteger(out) || d - out < 2) {
        problems.push(`level ${level + 1}: split fraction ${config.splitFraction} of ${d} dimensions must leave a whole number ≥ 2`);
        break;
      }
      d -= out;
    }
  }
  if (problems.length > 0) throw new Error(`impossible model config: ${problems.join('; ')}`);

  const levels: LevelPlan[] = [];
  let shape = [...config.inputShape];
  for (let level = 0; level < config.levels; level++) {
    const blocks: BlockPlan[] = [];
    for (let block = 0; block < config.blocksPerLevel; block++) {
      const kernel = blockKernel(config, level, block);
      const inputShape = shape;
      shape = shape.length === 3 ? [shape[0]! / kernel, shape[1]! / kernel, shape[2]! * kernel * kernel] : [...shape];
      blocks.push({ level, block, kernel, inputShape, outputShape: shape });
    }
    const channels = shape[shape.length - 1]!;
    const last = level === config.levels - 1;
    const out = last ? channels : channels * config.splitFraction;
    const keepChannels = channels - out;
    levels.push({ blocks, keepChannels, latentShape: [...shape.slice(0, -1), out] });
    shape = [...shape.slice(0, -1), keepChannels];
  }
  const latentShapes = levels.map((l) => l.latentShape);
  const dims = config.inputShape.reduce((a, b) => a * b, 1);
  return { levels, latentShapes, dims };
}
