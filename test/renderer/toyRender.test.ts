// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { densityPixels, pointPixels, pointScale, rampColor } from '../../src-renderer/src/lib/toyRender';

describe('toy rendering', () => {
  it('maps the densest cell to the brightest colour and -Infinity to the darkest', () => {
    const px = densityPixels([0, -1, Number.NEGATIVE_INFINITY, Number.NaN], 2);
    expect([...px.slice(0, 4)]).toEqual([...rampColor(1), 255]);
    expect([...px.slice(8, 12)]).toEqual([...rampColor(0), 255]);
    expect([...px.slice(12, 16)]).toEqual([...rampColor(0), 255]);
    const mid = rampColor(Math.sqrt(Math.exp(-1)));
    expect([...px.slice(4, 8)]).toEqual([...mid, 255]);
  });

  it('places points with y up and drops those outside the panel', () => {
    const px = pointPixels([0, 0, 1, 1, -1, -1, 5, 0], 1, 100);
    expect([...px]).toEqual([50, 50, 100, 0, 0, 100]);
  });

  it('scale is the half-width holding the requested fraction of points', () => {
    const points = Array.from({ length: 100 }, (_, i) => [i / 10, 0]).flat();
    expect(pointScale(points, 0.5)).toBeCloseTo(4.9, 5);
    expect(pointScale([], 0.99)).toBe(1);
  });
});
