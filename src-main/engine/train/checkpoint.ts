/**
 * Checkpoints: model weights + optimiser state + step + data-stream position, written
 * atomically. Layout: `checkpoints/step-00000100/{meta.json, weights.bin}` and
 * `checkpoints/latest.json` naming the newest. The step folder is first written as
 * `*.partial` and renamed when complete; `latest.json` is replaced atomically afterwards, so
 * an interrupted save leaves the previous checkpoint intact and current.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { StreamPosition } from '../../data/types';
import { type Tensor, type Variable, tf } from '../tf';
import { writeFileAtomic } from './runFolder';

const MetaSchema = z.object({
  format: z.literal('flowstudio-checkpoint-1'),
  step: z.number().int().min(0),
  optimizerIterations: z.number().int().min(0),
  position: z.object({ epoch: z.number().int().min(0), offset: z.number().int().min(0) }),
  time: z.number(),
  backend: z.string(),
  specs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.string() }).passthrough()),
});
export type CheckpointMeta = z.infer<typeof MetaSchema>;

export interface CheckpointData {
  step: number;
  optimizerIterations: number;
  position: StreamPosition;
  backend: string;
}

export interface LoadedCheckpoint extends CheckpointData {
  /** Named tensors (model variables by name, optimiser slots by `adamax/...`). Caller disposes. */
  tensors: Record<string, Tensor>;
  dir: string;
}

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

export async function saveCheckpoint(
  checkpointsDir: string,
  data: CheckpointData,
  tensors: Record<string, Tensor>,
  keep = 2,
): Promise<string> {
  mkdirSync(checkpointsDir, { recursive: true });
  const encoded = await tf.io.encodeWeights(tensors);
  const name = stepDirName(data.step);
  const partial = join(checkpointsDir, `${name}.partial`);
  const final = join(checkpointsDir, name);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  writeFileSync(join(partial, 'weights.bin'), new Uint8Array(encoded.data));
  const meta: CheckpointMeta = {
    format: 'flowstudio-checkpoint-1',
    step: data.step,
    optimizerIterations: data.optimizerIterations,
    position: data.position,
    time: Date.now(),
    backend: data.backend,
    specs: encoded.specs.map((s) => ({ ...s, shape: [...s.shape] })),
  };
  writeFileSync(join(partial, 'meta.json'), `${JSON.stringify(meta)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(partial, final);
  writeFileAtomic(join(checkpointsDir, 'latest.json'), `${JSON.stringify({ dir: name, step: data.step })}\n`);
  prune(checkpointsDir, keep, name);
  return final;
}

/** Loads the newest complete checkpoint, or null when the run has none. */
export function loadLatestCheckpoint(checkpointsDir: string): LoadedCheckpoint | null {
  const pointer = join(checkpointsDir, 'latest.json');
  if (!existsSync(pointer)) return null;
  let dirName: string;
  try {
    dirName = (JSON.parse(readFileSync(pointer, 'utf8')) as { dir: string }).dir;
  } catch (error) {
    throw new Error(`${pointer} is unreadable: ${(error as Error).message}`);
  }
  return loadCheckpoint(join(checkpointsDir, dirName));
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const metaPath = join(dir, 'meta.json');
  const weightsPath = join(dir, 'weights.bin');
  if (!existsSync(metaPath) || !existsSync(weightsPath)) throw new Error(`checkpoint ${dir} is incomplete (meta.json or weights.bin missing)`);
  const parsed = MetaSchema.safeParse(JSON.parse(readFileSync(metaPath, 'utf8')));
  if (!parsed.success) throw new Error(`checkpoint ${metaPath} is not a FlowStudio checkpoint: ${parsed.error.issues[0]?.message}`);
  const meta = parsed.data;
  const bytes = readFileSync(weightsPath);
  const expected = meta.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`checkpoint ${weightsPath} has ${bytes.byteLength} bytes, expected ${expected} (truncated or corrupt)`);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const tensors = tf.io.decodeWeights(buffer, meta.specs as tf.io.WeightsManifestEntry[]) as Record<string, Tensor>;
  return { step: meta.step, optimizerIterations: meta.optimizerIterations, position: meta.position, backend: meta.backend, tensors, dir };
}

/**
 * Assigns saved values to variables by logical name (`names[i]` for `variables[i]`); every
 * variable must be present with its shape.
 */
export function assignVariables(variables: readonly Variable[], names: readonly string[], tensors: Record<string, Tensor>, source: string): void {
  variables.forEach((variable, i) => {
    const name = names[i]!;
    const value = tensors[name];
    if (!value) throw new Error(`${source} has no value for parameter "${name}" (the model config changed?)`);
    if (value.shape.join('x') !== variable.shape.join('x')) {
      throw new Error(`${source}: parameter "${name}" has shape [${value.shape}] but the model expects [${variable.shape}]`);
    }
    variable.assign(value);
  });
}

function prune(checkpointsDir: string, keep: number, newest: string): void {
  const steps = readdirSync(checkpointsDir)
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort();
  const doomed = steps.slice(0, Math.max(0, steps.length - keep)).filter((n) => n !== newest);
  for (const name of doomed) rmSync(join(checkpointsDir, name), { recursive: true, force: true });
}
