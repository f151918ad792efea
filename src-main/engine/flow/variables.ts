/**
 * Creating the flow's trainable variables: deterministic seeded initialisers and names that
 * are checked for collisions (tfjs keeps one global registry of variable names, and
 * checkpoints save variables by name).
 */
import { type Tensor, type Variable, tf } from '../tf';

/** A 31-bit seed mixing a base seed with integers (splitmix-style hashing). */
export function mixSeed(seed: number, ...parts: number[]): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  for (const part of parts) {
    h = Math.imul(h ^ (h >>> 16) ^ Math.imul(part + 0x632be5ab, 0xc2b2ae35), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  }
  h ^= h >>> 16;
  return h >>> 1;
}

/** Deterministic string hash, so a variable's initial values depend on its name and the seed only. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Takes ownership of `initial` (disposed) and returns a trainable variable named `name`. */
export function makeVariable(name: string, initial: Tensor): Variable {
  try {
    return tf.variable(initial, true, name);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/already registered/.test(text)) {
      throw new Error(
        `a tfjs variable named "${name}" already exists in this process (variable names must be unique; ` +
          'flow models prefix theirs with an instance scope)',
      );
    }
    throw error;
  } finally {
    initial.dispose();
  }
}

/** He-normal weights (ReLU networks): N(0, 2/fanIn), seeded. */
export function heNormal(shape: number[], fanIn: number, seed: number): Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}
