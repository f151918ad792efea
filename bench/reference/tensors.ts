/**
 * A folder of named float32 arrays for the PyTorch reference (bench/reference/*.py): one raw
 * little-endian `tensors.bin` and a `manifest.json` that gives each array's name, shape and
 * offset, plus any JSON the caller adds (the model config, the schedule). numpy reads it with
 * `np.fromfile`; no npy writer or extra dependency needed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  /** In float32 elements from the start of tensors.bin. */
  offset: number;
}

export function writeTensorFolder(dir: string, arrays: readonly NamedArray[], extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const all = new Float32Array(total);
  const entries: ManifestEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    const size = a.shape.reduce((p, s) => p * s, 1);
    if (size !== a.data.length) throw new Error(`tensor folder: ${a.name} has shape [${a.shape}] but ${a.data.length} values`);
    all.set(a.data, offset);
    entries.push({ name: a.name, shape: a.shape, offset });
    offset += a.data.length;
  }
  writeFileSync(join(dir, 'tensors.bin'), Buffer.from(all.buffer, all.byteOffset, all.byteLength));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...extra, tensors: entries }, null, 1));
}

export function readTensorFolder(dir: string): { arrays: Map<string, NamedArray>; extra: Record<string, unknown> } {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { tensors: ManifestEntry[] } & Record<string, unknown>;
  const bytes = readFileSync(join(dir, 'tensors.bin'));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const arrays = new Map<string, NamedArray>();
  for (const e of manifest.tensors) {
    const size = e.shape.reduce((p, s) => p * s, 1);
    arrays.set(e.name, { name: e.name, shape: e.shape, data: all.slice(e.offset, e.offset + size) });
  }
  const { tensors: _, ...extra } = manifest;
  return { arrays, extra };
}
