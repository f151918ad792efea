/**
 * Every random draw of a run is derived from (run seed, purpose, step), so a run's "RNG state"
 * is its step counter: resuming at step s redraws exactly what the uninterrupted run would
 * have drawn. tfjs random ops take an integer seed.
 */
export type SeedPurpose = 'init' | 'dequantize' | 'eval' | 'sample' | 'diagnostics';

const PURPOSE_SALT: Record<SeedPurpose, number> = { init: 1, dequantize: 2, eval: 3, sample: 4, diagnostics: 5 };

/** A 31-bit seed mixing the run seed, the purpose and the step (splitmix-style hashing). */
export function deriveSeed(runSeed: number, purpose: SeedPurpose, step = 0): number {
  let h = Math.imul(runSeed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(PURPOSE_SALT[purpose], 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ step;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 1;
}
