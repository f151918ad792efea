/**
 * `flowstudio bounds` end to end on real Fashion-MNIST (a subset, to stay fast), checked
 * against computeBounds on the IDX file decoded independently here; and its errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundsSchema } from '../../../src-shared/protocol';
import { main } from '../../../src-main/cli/index';
import { arraySource, computeBounds } from '../../../src-main/engine/theory/bounds';

const DIR = '/usr/share/datasets/fashion-mnist';
const SPEC = `fashion-mnist:${DIR}`;

/** Runs the CLI in-process, capturing stdout and stderr. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    stderr += `${parts.join(' ')}\n`;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('flowstudio bounds', () => {
  it.skipIf(!existsSync(DIR))('prints the bounds of a Fashion-MNIST split as JSON', async () => {
    const limit = 1500;
    const { code, stdout, stderr } = await run(['bounds', '--data', SPEC, '--split', 'test', '--limit', String(limit), '--json']);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    const json = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    const bounds = BoundsSchema.parse({
      ppcaBpd: json['ppcaBpd'],
      qlfBpd: json['qlfBpd'],
      estimator: json['estimator'],
      split: json['split'],
      dims: json['dims'],
      count: json['count'],
    });
    expect(bounds).toMatchObject({ split: 'test', dims: 784, count: limit });
    expect(stderr).toMatch(/PPCA \/ linear-flow optimum \(exact\)/);

    // The same numbers from the raw IDX file, decoded here without the loaders.
    const raw = gunzipSync(readFileSync(`${DIR}/t10k-images-idx3-ubyte.gz`));
    expect(raw.readUInt32BE(0)).toBe(2051);
    const images = new Uint8Array(raw.buffer, raw.byteOffset + 16, limit * 784);
    const reference = await computeBounds(arraySource(images, [28, 28, 1], 8));
    expect(bounds.ppcaBpd).toBeCloseTo(reference.ppcaBpd, 9);
    expect(bounds.qlfBpd).toBeCloseTo(reference.qlfBpd, 9);
    expect(json['stationaryPpcaBpd']).toBeCloseTo(reference.stationaryPpcaBpd, 9);
    // An 8-bit image costs at most 8 bits/dim; the Gaussian lies in between.
    expect(bounds.ppcaBpd).toBeGreaterThan(1);
    expect(bounds.ppcaBpd).toBeLessThan(8);
    expect(bounds.ppcaBpd).toBeLessThan(reference.stationaryPpcaBpd);
  });

  it('names bad flags and unsuitable data', async () => {
    const split = await run(['bounds', '--data', SPEC, '--split', 'validation']);
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/--split must be train or test, got "validation"/);
    const limit = await run(['bounds', '--data', SPEC, '--limit', '0']);
    expect(limit.stderr).toMatch(/--limit must be an integer/);
    const toy = await run(['bounds', '--data', 'toy:two-moons']);
    expect(toy.code).toBe(1);
    expect(toy.stderr).toMatch(/bounds are defined for n-bit image datasets; .* continuous points of shape \[2\]/);
    const missing = await run(['bounds']);
    expect(missing.code).toBe(2);
  });
});
