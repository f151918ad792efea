/**
 * Checkpoints: model weights + optimiser state + step + data-stream position + the guard's
 * learning-rate scale. Layout: `checkpoints/step-00000100/{meta.json, weights.bin}`, and
 * `checkpoints/latest.json` naming the newest (for people and tools; loading does not trust it).
 *
 * Durable and verified (docs/reliability.md): the step folder is written as `*.partial`, each
 * file fsynced, renamed into place, the checkpoints folder fsynced, so a kill at any moment
 * leaves every earlier checkpoint intact. meta.json carries a format version, the byte length
 * and the SHA-256 of weights.bin; loading takes the newest checkpoint that verifies and names
 * every damaged one it had to pass over. A checkpoint holding NaN or ±∞ is never written.
 * Pruning keeps the newest K and the best by test loss.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readRegularFile } from '../../data/regularFile';
import type { StreamPosition } from '../../data/types';
import { type Tensor, type Variable, tf } from '../tf';
import { fsyncFolder, readJsonSync, writeFileDurable, writeFileSynced } from './durableFiles';

export const CHECKPOINT_FORMAT = 'flowstudio-checkpoint-2';
/** Checkpoints kept besides the best one (the newest K). */
export const DEFAULT_KEEP = 3;

const MetaSchema = z
  .object({
    format: z.enum(['flowstudio-checkpoint-1', CHECKPOINT_FORMAT]),
    step: z.number().int().min(0),
    optimizerIterations: z.number().int().min(0),
    position: z.object({ epoch: z.number().int().min(0), offset: z.number().int().min(0) }),
    time: z.number(),
    backend: z.string(),
    specs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.string() }).passthrough()),
    /** Byte length and SHA-256 (hex) of weights.bin; required from format 2 on. */
    bytes: z.number().int().min(0).optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    /** The numerical guard's factor on the configured learning rate (1 until a rollback). */
    lrScale: z.number().positive().optional(),
    rollbacks: z.number().int().min(0).optional(),
    /** Test loss measured at this step, when there was an evaluation (for keeping the best). */
    test: z.number().optional(),
  })
  .refine((m) => m.format === 'flowstudio-checkpoint-1' || (m.sha256 !== undefined && m.bytes !== undefined), {
    message: 'a format-2 checkpoint must carry bytes and sha256',
  });
export type CheckpointMeta = z.infer<typeof MetaSchema>;

export interface CheckpointData {
  step: number;
  optimizerIterations: number;
  position: StreamPosition;
  backend: string;
  lrScale?: number;
  rollbacks?: number;
  test?: number;
}

export interface LoadedCheckpoint extends CheckpointData {
  /** Named tensors (model variables by name, optimiser slots by `adamax/...`). Caller disposes. */
  tensors: Record<string, Tensor>;
  dir: string;
  /** Damaged checkpoints passed over to reach this one (newest first), each with why. */
  skipped: string[];
}

/** Thrown instead of writing a checkpoint whose values are not all finite. */
export class NonFiniteCheckpointError extends Error {
  constructor(readonly names: string[]) {
    super(`refused to write a checkpoint: ${names.length} tensor(s) hold NaN or ±∞ (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`);
    this.name = 'NonFiniteCheckpointError';
  }
}

const STEP_DIR = /^step-(\d{8})$/;

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Names of the float tensors in the encoded buffer that hold a non-finite value. */
function nonFiniteNames(data: ArrayBuffer, specs: readonly tf.io.WeightsManifestEntry[]): string[] {
  const bad: string[] = [];
  let at = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const width = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 8;
    if (spec.dtype === 'float32') {
      const values = new Float32Array(data, at, size);
      for (let i = 0; i < size; i++) {
        if (!Number.isFinite(values[i]!)) {
          bad.push(spec.name);
          break;
        }
      }
    }
    at += size * width;
  }
  return bad;
}

export async function saveCheckpoint(
  checkpointsDir: string,
  data: CheckpointData,
  tensors: Record<string, Tensor>,
  keep = DEFAULT_KEEP,
): Promise<string> {
  mkdirSync(checkpointsDir, { recursive: true });
  const encoded = await tf.io.encodeWeights(tensors);
  const bad = nonFiniteNames(encoded.data, encoded.specs);
  if (bad.length > 0) throw new NonFiniteCheckpointError(bad);
  const bytes = new Uint8Array(encoded.data);
  const name = stepDirName(data.step);
  const partial = join(checkpointsDir, `${name}.partial`);
  const final = join(checkpointsDir, name);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  writeFileSynced(join(partial, 'weights.bin'), bytes);
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    step: data.step,
    optimizerIterations: data.optimizerIterations,
    position: data.position,
    time: Date.now(),
    backend: data.backend,
    specs: encoded.specs.map((s) => ({ ...s, shape: [...s.shape] })),
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(data.lrScale !== undefined ? { lrScale: data.lrScale } : {}),
    ...(data.rollbacks !== undefined ? { rollbacks: data.rollbacks } : {}),
    ...(data.test !== undefined && Number.isFinite(data.test) ? { test: data.test } : {}),
  };
  writeFileSynced(join(partial, 'meta.json'), `${JSON.stringify(meta)}\n`);
  fsyncFolder(partial);
  // A checkpoint of the same step (redone after a rollback) is renamed away, not deleted in
  // place: a kill midway through a recursive delete would leave a half folder under a valid name.
  if (existsSync(final)) retire(checkpointsDir, name);
  renameSync(partial, final);
  fsyncFolder(checkpointsDir);
  writeFileDurable(join(checkpointsDir, 'latest.json'), `${JSON.stringify({ dir: name, step: data.step })}\n`);
  prune(checkpointsDir, keep, name);
  return final;
}

/** Step folders in `checkpointsDir`, newest first. */
function stepDirs(checkpointsDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(checkpointsDir);
  } catch {
    return [];
  }
  return names.filter((n) => STEP_DIR.test(n)).sort().reverse();
}

/**
 * Loads the newest checkpoint that verifies, or null when the run has none. Damaged ones
 * (truncated, wrong checksum, unreadable meta) are passed over and listed in `skipped`; when
 * every one is damaged the error names each.
 */
export async function loadLatestCheckpoint(checkpointsDir: string): Promise<LoadedCheckpoint | null> {
  const dirs = stepDirs(checkpointsDir);
  if (dirs.length === 0) return null;
  const skipped: string[] = [];
  for (const name of dirs) {
    try {
      const loaded = await loadCheckpoint(join(checkpointsDir, name));
      return { ...loaded, skipped };
    } catch (error) {
      skipped.push((error as Error).message);
    }
  }
  throw new Error(`no usable checkpoint in ${checkpointsDir}: ${skipped.join('; ')}`);
}

function readMeta(dir: string): CheckpointMeta {
  const metaPath = join(dir, 'meta.json');
  let raw: unknown;
  try {
    raw = readJsonSync(metaPath);
  } catch (error) {
    throw new Error(`checkpoint ${metaPath} is damaged: ${(error as Error).message}`);
  }
  const parsed = MetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`checkpoint ${metaPath} is not a FlowStudio checkpoint: ${issue?.path.join('.') || 'its content'}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Loads one checkpoint folder, verifying its length and checksum. */
export async function loadCheckpoint(dir: string): Promise<Omit<LoadedCheckpoint, 'skipped'>> {
  const meta = readMeta(dir);
  const weightsPath = join(dir, 'weights.bin');
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(weightsPath);
  } catch (error) {
    throw new Error(`checkpoint ${weightsPath} is unreadable: ${(error as Error).message}`);
  }
  const expected = meta.bytes ?? meta.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`checkpoint ${weightsPath} has ${bytes.byteLength} bytes, expected ${expected} (truncated or corrupt)`);
  }
  if (meta.sha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== meta.sha256) {
    throw new Error(`checkpoint ${weightsPath} fails its SHA-256 check (corrupt)`);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, meta.specs as tf.io.WeightsManifestEntry[]) as Record<string, Tensor>;
  return {
    step: meta.step,
    optimizerIterations: meta.optimizerIterations,
    position: meta.position,
    backend: meta.backend,
    ...(meta.lrScale !== undefined ? { lrScale: meta.lrScale } : {}),
    ...(meta.rollbacks !== undefined ? { rollbacks: meta.rollbacks } : {}),
    ...(meta.test !== undefined ? { test: meta.test } : {}),
    tensors,
    dir,
  };
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

/** Moves a step folder out of the loader's sight (`step-N.old`), replacing an earlier leftover. */
function retire(checkpointsDir: string, name: string): void {
  const old = join(checkpointsDir, `${name}.old`);
  rmSync(old, { recursive: true, force: true });
  renameSync(join(checkpointsDir, name), old);
}

/** Keeps the newest `keep` step folders and the one with the lowest test loss; drops leftovers of killed saves. */
function prune(checkpointsDir: string, keep: number, newest: string): void {
  const dirs = stepDirs(checkpointsDir);
  let best: { name: string; test: number } | null = null;
  for (const name of dirs) {
    try {
      const test = readMeta(join(checkpointsDir, name)).test;
      if (test !== undefined && (best === null || test < best.test)) best = { name, test };
    } catch {
      // A damaged one is never the best.
    }
  }
  const kept = new Set([...dirs.slice(0, Math.max(1, keep)), newest, ...(best ? [best.name] : [])]);
  // Renamed out of the step-NNNNNNNN names first (atomic), then deleted: a kill during the
  // delete leaves a leftover the loader ignores and the next save removes.
  for (const name of dirs) if (!kept.has(name)) retire(checkpointsDir, name);
  for (const name of readdirSync(checkpointsDir)) {
    if (name.endsWith('.partial') || name.endsWith('.old') || name.includes('.tmp-')) {
      rmSync(join(checkpointsDir, name), { recursive: true, force: true });
    }
  }
}
