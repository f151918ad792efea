/** 2-D toy densities: fixed seeded sets with the shapes the flow literature draws. */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { ToyName } from '../../../src-shared/dataSpec';
import { ToyNameSchema } from '../../../src-shared/dataSpec';

async function points(name: ToyName, split: 'train' | 'test', n = 4000): Promise<Float32Array> {
  const dataset = await openDataset(`toy:${name}?n=${n}`);
  for await (const batch of dataset.batches(split, { batchSize: n, seed: 0, shuffle: false })) return batch.data as Float32Array;
  throw new Error('no batch');
}

function radii(p: Float32Array): number[] {
  return Array.from({ length: p.length / 2 }, (_, i) => Math.hypot(p[2 * i]!, p[2 * i + 1]!));
}

describe('toy datasets', () => {
  it('are fixed sets: the same points each open, the test set drawn apart', async () => {
    for (const name of ToyNameSchema.options) {
      const dataset = await openDataset(`toy:${name}?n=400`);
      expect(dataset.info).toMatchObject({ format: 'toy', shape: [2], bits: 0, trainCount: 400, testCount: 100 });
      const a = await points(name, 'train', 400);
      expect(a).toEqual(await points(name, 'train', 400));
      expect(a.every(Number.isFinite)).toBe(true);
      const test = await points(name, 'test', 400);
      expect(Array.from(test.subarray(0, 20))).not.toEqual(Array.from(a.subarray(0, 20)));
    }
  });

  it('8gaussians: eight clusters on a circle of radius 4/1.414', async () => {
    const p = await points('8gaussians', 'train');
    const r = radii(p);
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    expect(mean).toBeGreaterThan(2.6);
    expect(mean).toBeLessThan(3.0);
    const sectors = new Array<number>(8).fill(0);
    for (let i = 0; i < p.length / 2; i++) {
      const angle = Math.atan2(p[2 * i + 1]!, p[2 * i]!);
      sectors[((Math.round(angle / (Math.PI / 4)) % 8) + 8) % 8]! += 1;
    }
    for (const count of sectors) expect(count).toBeGreaterThan(400);
  });

  it('rings: four radii 0.75, 1.5, 2.25, 3 with a quarter of the points each', async () => {
    const r = radii(await points('rings', 'train'));
    const nearest = r.map((v) => Math.round(v / 0.75));
    for (const ring of [1, 2, 3, 4]) expect(nearest.filter((k) => k === ring).length).toBe(1000);
    expect(Math.max(...r.map((v) => Math.abs(v - 0.75 * Math.round(v / 0.75))))).toBeLessThan(0.4);
  });

  it('checkerboard: points only on the dark squares of a 4×4 board on [−4, 4]²', async () => {
    const p = await points('checkerboard', 'train');
    let outside = 0;
    let light = 0;
    for (let i = 0; i < p.length / 2; i++) {
      const x = p[2 * i]!;
      const y = p[2 * i + 1]!;
      if (Math.abs(x) > 4 || Math.abs(y) > 4) outside += 1;
      if ((Math.floor(x / 2) + Math.floor(y / 2)) % 2 !== 0) light += 1;
    }
    expect({ outside, light }).toEqual({ outside: 0, light: 0 });
  });

  it('two-moons, 2spirals and pinwheel are centred and bounded like their usual plots', async () => {
    for (const name of ['two-moons', '2spirals', 'pinwheel'] as const) {
      const p = await points(name, 'train');
      let mx = 0;
      let my = 0;
      for (let i = 0; i < p.length / 2; i++) {
        mx += p[2 * i]!;
        my += p[2 * i + 1]!;
      }
      expect(Math.abs(mx / (p.length / 2)), name).toBeLessThan(0.5);
      expect(Math.abs(my / (p.length / 2)), name).toBeLessThan(0.5);
      expect(Math.max(...radii(p)), name).toBeLessThan(6);
    }
  });

  it('warns about options that mean nothing for toys', async () => {
    const dataset = await openDataset('toy:rings?size=32');
    expect(dataset.info.warnings).toEqual(['option size is ignored for toy data (points, not images)']);
  });
});
