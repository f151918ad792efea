/**
 * 2-D toy densities as the flow literature uses them (the definitions popularised by FFJORD's
 * toy experiments and reused by later papers), written from their mathematical description
 * with our own seeded generator. Each returns `n` points as [x0, y0, x1, y1, ...].
 */
import type { ToyName } from '../../src-shared/dataSpec';
import { Rng } from './random';

type Generator = (n: number, rng: Rng) => Float32Array;

/** Shuffles points in place (generators that build points group by group). */
function shufflePoints(points: Float32Array, rng: Rng): Float32Array {
  const n = points.length / 2;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    for (let d = 0; d < 2; d++) {
      const t = points[2 * i + d]!;
      points[2 * i + d] = points[2 * j + d]!;
      points[2 * j + d] = t;
    }
  }
  return points;
}

/** Two interleaved half circles (scikit-learn's make_moons, noise 0.1), scaled by 2 and centred. */
const twoMoons: Generator = (n, rng) => {
  const out = new Float32Array(2 * n);
  const outer = Math.floor(n / 2);
  const inner = n - outer;
  for (let i = 0; i < n; i++) {
    let x: number;
    let y: number;
    if (i < outer) {
      const t = outer > 1 ? (Math.PI * i) / (outer - 1) : 0;
      x = Math.cos(t);
      y = Math.sin(t);
    } else {
      const j = i - outer;
      const t = inner > 1 ? (Math.PI * j) / (inner - 1) : 0;
      x = 1 - Math.cos(t);
      y = 1 - Math.sin(t) - 0.5;
    }
    out[2 * i] = (x + 0.1 * rng.normal()) * 2 - 1;
    out[2 * i + 1] = (y + 0.1 * rng.normal()) * 2 - 0.2;
  }
  return shufflePoints(out, rng);
};

/** Eight Gaussians (σ 0.5) on a circle of radius 4, all divided by 1.414. */
const eightGaussians: Generator = (n, rng) => {
  const s = 1 / Math.SQRT2;
  const centres = [
    [1, 0], [-1, 0], [0, 1], [0, -1],
    [s, s], [s, -s], [-s, s], [-s, -s],
  ] as const;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(8)]!;
    out[2 * i] = (0.5 * rng.normal() + 4 * c[0]) / 1.414;
    out[2 * i + 1] = (0.5 * rng.normal() + 4 * c[1]) / 1.414;
  }
  return out;
};

/** A 4×4 checkerboard of uniform squares on [−4, 4]². */
const checkerboard: Generator = (n, rng) => {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x1 = rng.uniform() * 4 - 2;
    const x2 = rng.uniform() - rng.int(2) * 2 + (((Math.floor(x1) % 2) + 2) % 2);
    out[2 * i] = x1 * 2;
    out[2 * i + 1] = x2 * 2;
  }
  return out;
};

/** Five curved arms: Gaussian blobs (radial σ 0.3, tangential σ 0.1) rotated by 0.25·e^r. */
const pinwheel: Generator = (n, rng) => {
  const arms = 5;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const arm = i % arms;
    const r = rng.normal() * 0.3 + 1;
    const t = rng.normal() * 0.1;
    const angle = (2 * Math.PI * arm) / arms + 0.25 * Math.exp(r);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    out[2 * i] = 2 * (r * c - t * s);
    out[2 * i + 1] = 2 * (r * s + t * c);
  }
  return shufflePoints(out, rng);
};

/** Two interleaved spirals (1.5 turns), with Gaussian noise 0.1 after scaling by 1/3. */
const twoSpirals: Generator = (n, rng) => {
  const out = new Float32Array(2 * n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const t = (Math.sqrt(rng.uniform()) * 540 * 2 * Math.PI) / 360;
    let x = -Math.cos(t) * t + rng.uniform() * 0.5;
    let y = Math.sin(t) * t + rng.uniform() * 0.5;
    if (i >= half) {
      x = -x;
      y = -y;
    }
    out[2 * i] = x / 3 + 0.1 * rng.normal();
    out[2 * i + 1] = y / 3 + 0.1 * rng.normal();
  }
  return shufflePoints(out, rng);
};

/** Four concentric rings of radii 3, 2.25, 1.5, 0.75 (evenly spaced points), noise 0.08. */
const rings: Generator = (n, rng) => {
  const out = new Float32Array(2 * n);
  const perRing = Math.floor(n / 4);
  const counts = [n - 3 * perRing, perRing, perRing, perRing];
  const radii = [1, 0.75, 0.5, 0.25];
  let at = 0;
  counts.forEach((count, ring) => {
    for (let j = 0; j < count; j++) {
      const t = (2 * Math.PI * j) / count;
      out[2 * at] = 3 * radii[ring]! * Math.cos(t) + 0.08 * rng.normal();
      out[2 * at + 1] = 3 * radii[ring]! * Math.sin(t) + 0.08 * rng.normal();
      at++;
    }
  });
  return shufflePoints(out, rng);
};

const GENERATORS: Record<ToyName, Generator> = {
  'two-moons': twoMoons,
  '8gaussians': eightGaussians,
  checkerboard,
  pinwheel,
  '2spirals': twoSpirals,
  rings,
};

/** Seeds of the fixed train and test sets: different, so test points are fresh draws. */
export const TOY_TRAIN_SEED = 1;
export const TOY_TEST_SEED = 2;
export const TOY_DEFAULT_N = 20000;

export function generateToy(name: ToyName, n: number, seed: number): Float32Array {
  return GENERATORS[name](n, new Rng(seed));
}

export const TOY_TITLES: Record<ToyName, string> = {
  'two-moons': 'Two moons',
  '8gaussians': '8 Gaussians',
  checkerboard: 'Checkerboard',
  pinwheel: 'Pinwheel',
  '2spirals': 'Two spirals',
  rings: 'Rings',
};
