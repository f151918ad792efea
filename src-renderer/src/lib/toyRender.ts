/**
 * Pixels for the toy lab: a density heat map from the row-major log-density grid, and a 2-D
 * point cloud scaled to a panel. Pure functions over arrays so they are tested without canvas.
 */

/** A perceptually ordered dark-to-bright ramp (magma-like), 5 stops interpolated linearly. */
const RAMP: readonly [number, number, number][] = [
  [0, 0, 4],
  [81, 18, 124],
  [183, 55, 121],
  [252, 137, 97],
  [252, 253, 191],
];

export function rampColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/**
 * RGBA pixels of a density map. Colour follows the density itself (not its log), normalised to
 * the maximum, with a square-root stretch so low-density structure stays visible; -Infinity
 * and NaN log-densities are zero density.
 */
export function densityPixels(logDensity: readonly number[], resolution: number): Uint8ClampedArray {
  const n = resolution * resolution;
  const pixels = new Uint8ClampedArray(n * 4);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logDensity[i]!;
    if (Number.isFinite(v) && v > max) max = v;
  }
  for (let i = 0; i < n; i++) {
    const v = logDensity[i]!;
    const t = Number.isFinite(v) && Number.isFinite(max) ? Math.sqrt(Math.exp(v - max)) : 0;
    const [r, g, b] = rampColor(t);
    pixels[i * 4] = r;
    pixels[i * 4 + 1] = g;
    pixels[i * 4 + 2] = b;
    pixels[i * 4 + 3] = 255;
  }
  return pixels;
}

/**
 * Maps flattened points [x0, y0, x1, y1, ...] in [-scale, scale]^2 to pixel coordinates of a
 * size × size panel (y up). Points outside are dropped.
 */
export function pointPixels(points: readonly number[], scale: number, size: number): Float32Array {
  const out = new Float32Array(points.length);
  let k = 0;
  const half = size / 2;
  const s = scale > 0 && Number.isFinite(scale) ? half / scale : 0;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const px = half + points[i]! * s;
    const py = half - points[i + 1]! * s;
    if (px < 0 || py < 0 || px > size || py > size || !Number.isFinite(px) || !Number.isFinite(py)) continue;
    out[k++] = px;
    out[k++] = py;
  }
  return out.subarray(0, k);
}

/** Half-width of the square holding `fraction` of the points (the scale toyLayers reports). */
export function pointScale(points: readonly number[], fraction = 0.99): number {
  const radii: number[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) radii.push(Math.max(Math.abs(points[i]!), Math.abs(points[i + 1]!)));
  if (radii.length === 0) return 1;
  radii.sort((a, b) => a - b);
  return radii[Math.min(radii.length - 1, Math.floor(fraction * (radii.length - 1)))]! || 1;
}
