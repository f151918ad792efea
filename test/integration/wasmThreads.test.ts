/**
 * Threaded wasm in Node: the fashion-mnist-small loss and every gradient on real Fashion-MNIST
 * images computed with two threads equal the single-threaded ones to float tolerance, and the
 * backend reports the thread count that was asked for. Each count runs in its own process
 * (a process holds one wasm module).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Probe {
  threads: number;
  loss: number;
  sizes: number[];
  grads: Float32Array;
}

const dir = mkdtempSync(join(tmpdir(), 'flowstudio-threads-'));

function probe(threads: number): Probe {
  const out = join(dir, `grads-${threads}.bin`);
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', join('test', 'helpers', 'wasmGradients.ts'), out], {
    encoding: 'utf8',
    env: { ...process.env, FLOWSTUDIO_THREADS: String(threads) },
    timeout: 300_000,
  });
  const line = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<Probe, 'grads'>;
  const bytes = readFileSync(out);
  return { ...line, grads: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

describe('threaded wasm', () => {
  it('computes the same loss and gradients with 2 threads as with 1, and reports the count', () => {
    const one = probe(1);
    const two = probe(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(Number.isFinite(one.loss)).toBe(true);
    expect(Math.abs(two.loss - one.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(one.loss));
    expect(two.sizes).toEqual(one.sizes);
    let offset = 0;
    for (const [v, size] of one.sizes.entries()) {
      const a = one.grads.subarray(offset, offset + size);
      const b = two.grads.subarray(offset, offset + size);
      offset += size;
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < size; i++) {
        scale = Math.max(scale, Math.abs(a[i]!));
        diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      }
      expect(scale, `variable ${v}`).toBeGreaterThan(0);
      expect(diff, `variable ${v}`).toBeLessThanOrEqual(1e-4 * scale);
    }
  });
});
