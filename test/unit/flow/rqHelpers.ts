/** Shared set-up of the RQ activation tests: layers with named random parameters, samplers. */
import { RQActivation, type RQActivationOptions } from '../../../src-main/engine/flow/layers/rqActivation';
import { type Variable, tf } from '../../../src-main/engine/tf';
import type { RQParams, RQSettings } from './rqReference';

let counter = 0;

export function makeLayer(options: Partial<RQActivationOptions> & { channels: number }): RQActivation {
  counter += 1;
  const name = `rqtest${counter}.act`;
  return new RQActivation({
    descriptor: { name, level: 0, block: counter, kind: 'act' },
    bins: 16,
    variant: 'paper',
    tailBound: 1e5,
    beta: 0.8,
    ...options,
  });
}

/** A small deterministic PRNG (mulberry32) and a normal sampler on top of it. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

export interface Spread {
  x: number;
  y: number;
  yMean?: number;
  a: number;
  aMean?: number;
  logW: number;
}

/** Assigns random (non-initial) values: θ ~ N(mean, spread²) per entry, log w ~ log 2 + N(0, spread²). */
export function randomize(layer: RQActivation, seed: number, spread: Spread): void {
  const r = rng(seed);
  const [tx, ty, ta, lw] = layer.variables;
  const fill = (v: Variable, mean: number, sd: number): void => {
    const values = Array.from({ length: v.size }, () => mean + sd * r.normal());
    const t = tf.tensor(values, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  };
  fill(tx!, 0, spread.x);
  fill(ty!, spread.yMean ?? 0, spread.y);
  fill(ta!, spread.aMean ?? 0, spread.a);
  fill(lw!, Math.log(2), spread.logW);
}

/** The layer's parameters as float64 arrays (exact copies of the float32 values). */
export function readParams(layer: RQActivation): RQParams {
  const [tx, ty, ta, lw] = layer.variables;
  return {
    thetaX: tx!.arraySync() as number[][],
    thetaY: ty!.arraySync() as number[][],
    thetaA: ta!.arraySync() as number[][],
    logW: lw!.arraySync() as number[],
  };
}

export function settings(layer: RQActivation): RQSettings {
  return {
    variant: layer.variant,
    unconstrained: layer.unconstrained,
    tailBound: layer.tailBound,
    tailSlope: layer.initialSlope,
  };
}

/** Rounds to float32 (test inputs are float32 tensors). */
export const f32 = (v: number): number => Math.fround(v);

/**
 * n sample points per channel covering the box, both tails, the knots exactly, ±w, ±T, near ±T
 * and beyond, as a [n, C] row-major array. `edges[c]` are channel c's special points.
 */
export function samplePoints(n: number, edges: number[][], tailBound: number, seed: number, scale: number): number[] {
  const r = rng(seed);
  const C = edges.length;
  const out = new Array<number>(n * C);
  for (let c = 0; c < C; c++) {
    const special = [...edges[c]!, tailBound, -tailBound, 0];
    for (let i = 0; i < n; i++) {
      let v: number;
      const kind = i % 8;
      if (i < special.length) v = special[i]!;
      else if (kind <= 2) v = (2 * r.uniform() - 1) * 1.2 * scale; // inside and around the box
      else if (kind === 3) v = (r.uniform() < 0.5 ? -1 : 1) * Math.exp(Math.log(scale) + r.uniform() * Math.log(tailBound / scale)); // tails, log-uniform
      else if (kind === 4) v = (r.uniform() < 0.5 ? -1 : 1) * tailBound * (1 - 1e-4 * r.uniform()); // just inside ±T
      else if (kind === 5) v = (r.uniform() < 0.5 ? -1 : 1) * tailBound * (1 + 10 * r.uniform()); // beyond ±T
      else if (kind === 6) v = 5 * scale * r.normal(); // moderate tails
      else v = special[Math.floor(r.uniform() * special.length)]! * (1 + 1e-6 * r.normal()); // next to knots
      out[i * C + c] = f32(v);
    }
  }
  return out;
}
