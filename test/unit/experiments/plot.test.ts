/** The PNG line-chart renderer: pixels where the data say, gaps at non-finite points, ticks. */
import { describe, expect, it } from 'vitest';
import { logTicks, niceTicks, renderLineChart } from '../../../src-main/engine/experiments/plot';

function pixel(chart: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const i = (Math.round(y) * chart.width + Math.round(x)) * 3;
  return [chart.data[i]!, chart.data[i + 1]!, chart.data[i + 2]!];
}

/** True when a pixel within 1 px of (x, y) has the colour. */
function near(chart: { data: Uint8Array; width: number }, x: number, y: number, color: readonly number[]): boolean {
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      if (pixel(chart, x + dx, y + dy).every((v, i) => v === color[i])) return true;
    }
  }
  return false;
}

describe('renderLineChart', () => {
  const red = [214, 39, 40] as const;
  const blue = [31, 119, 180] as const;

  it('draws each series through its points and breaks lines at non-finite values', () => {
    const chart = renderLineChart(
      [
        { name: 'a', color: red, points: [0, 1, 2, 3, 4].map((x) => ({ x, y: x * x })) },
        { name: 'b', color: blue, points: [{ x: 0, y: 10 }, { x: 1, y: 12 }, { x: 2, y: Number.NaN }, { x: 3, y: 2 }, { x: 4, y: 2 }] },
      ],
      { width: 400, height: 300 },
    );
    expect(chart.data.length).toBe(400 * 300 * 3);
    for (const x of [0, 1, 2, 3, 4]) expect(near(chart, ...chart.toPixel(x, x * x), red)).toBe(true);
    // Midway between x = 2.5 on the parabola's chord (y = 6.5) lies on segment 2→3.
    expect(near(chart, ...chart.toPixel(2.5, 6.5), red)).toBe(true);
    // Series b has a gap between x = 1 and x = 3.
    expect(near(chart, ...chart.toPixel(1.5, 11), blue)).toBe(false);
    expect(near(chart, ...chart.toPixel(3.5, 2), blue)).toBe(true);
    // Background white, axes dark.
    expect(pixel(chart, 399, 0)).toEqual([255, 255, 255]);
    const [left, bottom] = chart.toPixel(chart.xRange[0], 0);
    expect(pixel(chart, left, bottom - 20)).toEqual([40, 40, 40]);
  });

  it('log scale places decades evenly', () => {
    const chart = renderLineChart([{ name: 'v', color: red, points: [1, 10, 100, 1000].map((y, x) => ({ x, y })) }], { logY: true });
    const ys = [1, 10, 100, 1000].map((y, x) => chart.toPixel(x, y)[1]);
    expect(ys[0]! - ys[1]!).toBeCloseTo(ys[2]! - ys[3]!, 6);
    expect(logTicks(0, 3)).toEqual([0, 1, 2, 3]);
    expect(logTicks(0, 1).map((t) => Number((10 ** t).toFixed(6)))).toEqual([1, 2, 5, 10]);
  });

  it('clips early spikes at a quantile of the values', () => {
    const points = Array.from({ length: 100 }, (_, x) => ({ x, y: x < 2 ? 1000 : 5 - x / 100 }));
    const chart = renderLineChart([{ name: 's', color: red, points }], { yClipQuantile: 0.95, width: 300, height: 200 });
    expect(chart.yRange[1]).toBeLessThan(6);
    // Nothing is drawn above the frame's top.
    for (let y = 0; y < 10; y++) for (let x = 0; x < 300; x++) expect(pixel(chart, x, y)).not.toEqual([...red]);
    expect(() => renderLineChart([{ name: 's', color: red, points }], { yClipQuantile: 2 })).toThrow(/yClipQuantile/);
  });

  it('nice ticks and clear errors', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.013, 0.048)).toEqual([0.02, 0.03, 0.04]);
    expect(() => renderLineChart([{ name: 'x', color: red, points: [{ x: 0, y: Number.NaN }] }])).toThrow(/no finite points/);
    expect(() => renderLineChart([{ name: 'x', color: red, points: [{ x: 0, y: 1 }] }], { width: 10 })).toThrow(/at least 120/);
  });
});
