/**
 * The layers of one block of a baseline architecture (Glow, RQ-NSF, RealNVP; config.ts
 * `ArchitectureSchema`) as plain specs: the model builds its layers from them (baselines.ts),
 * the parameter count and the memory planner count them, so the three cannot disagree.
 * Each spec carries its input shape (without batch) and its name inside the block
 * (`L1.B1.<name>`): names hold the layer's kind, and RealNVP's several couplings per block are
 * numbered (`aff1` … `aff6`).
 */
import { type ModelConfig, architectureOf } from '../../../src-shared/config';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import type { CouplingMask, CouplingScale } from './layers/maskedCoupling';
import type { BlockPlan, LevelPlan } from './shapes';

/** Durkan et al.'s CIFAR-10 spline: 8 bins on [−3, 3]. */
export const DEFAULT_SPLINE_BINS = 8;
export const DEFAULT_SPLINE_TAIL_BOUND = 3;

interface Base {
  name: string;
  /** Input shape without batch: [h, w, c] or [d]. */
  shape: number[];
}

export type LayerSpec = Base &
  (
    | { kind: 'squeeze'; factor: number }
    | { kind: 'actnorm' }
    | { kind: 'perm'; permutation: 'reverse' | 'shuffle' }
    | { kind: 'conv' }
    | { kind: 'aff'; mask: CouplingMask; parity: number; scale: CouplingScale }
    | { kind: 'spline'; parity: number; bins: number; tailBound: number }
    | { kind: 'prior'; keep: number }
  );

export type LayerKind = LayerDescriptor['kind'];

const squeezed = (shape: number[], k: number): number[] => (k === 1 ? shape : [shape[0]! / k, shape[1]! / k, shape[2]! * k * k]);

/** The layer specs of one block of a baseline model (throws for the paper's architecture). */
export function baselineBlockLayers(config: ModelConfig, bp: BlockPlan, level: LevelPlan, lastLevel: boolean): LayerSpec[] {
  const arch = architectureOf(config);
  const image = bp.inputShape.length === 3;
  const specs: LayerSpec[] = [];
  let shape = [...bp.inputShape];
  const push = (spec: LayerSpec): void => {
    specs.push(spec);
    if (spec.kind === 'squeeze') shape = squeezed(shape, spec.factor);
  };
  if (arch.kind === 'paper') throw new Error('baselineBlockLayers: the paper architecture is built by model.ts');
  if (arch.kind === 'glow') {
    if (image && bp.kernel > 1) push({ kind: 'squeeze', name: 'squeeze', factor: bp.kernel, shape });
    push({ kind: 'actnorm', name: 'actnorm', shape });
    if (arch.permutation === 'conv') push({ kind: 'conv', name: 'conv', shape });
    else push({ kind: 'perm', name: 'perm', permutation: arch.permutation, shape });
    if (arch.coupling === 'spline') {
      push({ kind: 'spline', name: 'spline', parity: 0, bins: arch.bins ?? DEFAULT_SPLINE_BINS, tailBound: arch.tailBound ?? DEFAULT_SPLINE_TAIL_BOUND, shape });
    } else push({ kind: 'aff', name: 'aff', mask: 'channel', parity: 0, scale: arch.coupling === 'affine' ? 'sigmoid' : 'additive', shape });
    const lastBlock = bp.block === config.blocksPerLevel - 1;
    if (arch.splitPrior === 'learned' && lastBlock && !lastLevel) push({ kind: 'prior', name: 'prior', keep: level.keepChannels, shape });
    return specs;
  }
  // RealNVP.
  let n = 0;
  const coupling = (mask: CouplingMask, parity: number): void => push({ kind: 'aff', name: `aff${++n}`, mask, parity, scale: 'tanh', shape });
  if (!image) {
    coupling('channel', 0);
    coupling('channel', 1);
    return specs;
  }
  if (lastLevel) {
    for (let i = 0; i < 4; i++) coupling('checkerboard', i % 2);
    return specs;
  }
  for (let i = 0; i < 3; i++) coupling('checkerboard', i % 2);
  if (bp.kernel > 1) push({ kind: 'squeeze', name: 'squeeze', factor: bp.kernel, shape });
  for (let i = 0; i < 3; i++) coupling('channel', i % 2);
  return specs;
}
