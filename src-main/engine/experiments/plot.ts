/**
 * Minimal line charts rendered into an RGB pixel buffer (the ablation report's PNGs), with no
 * dependency beyond the PNG encoder: axes, light grid lines at "nice" ticks labelled with a
 * built-in 3×5 pixel font for numbers, and one coloured polyline per series. Titles and the
 * legend live in the markdown next to the image (the font has digits only).
 */

export type Rgb = readonly [number, number, number];

export interface Series {
  name: string;
  color: Rgb;
  /** Non-finite y values break the line (a collapsed run). */
  points: readonly { x: number; y: number }[];
}

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Plot log10(y) (all plotted y must then be > 0). */
  logY?: boolean;
  /**
   * Top of the y axis at this quantile of the plotted values (e.g. 0.98), so that a few early
   * spikes do not flatten the rest; lines above it are clipped at the frame.
   */
  yClipQuantile?: number;
}

export interface Chart {
  /** RGB, row-major, width × height × 3. */
  data: Uint8Array;
  width: number;
  height: number;
  xRange: [number, number];
  yRange: [number, number];
  /** Pixel position of a data point (tests and annotations). */
  toPixel(x: number, y: number): [number, number];
}

/**
 * 3×5 glyphs as `char:rows`, five octal digits a glyph (rows top to bottom, bit 2 = left column).
 */
const GLYPHS: Record<string, number[]> = Object.fromEntries(
  '0:75557 1:26227 2:71747 3:71717 4:55711 5:74717 6:74757 7:71111 8:75757 9:75717 .:00002 -:00700 +:02720 e:07747'
    .split(' ')
    .map((entry) => [entry[0]!, [...entry.slice(2)].map(Number)]),
);
const FONT_SCALE = 2;
const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [40, 40, 40];

/** Tick values at 1, 2 or 5 × 10^k covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** Ticks for a log10 axis (values are exponents): 1, 2, 5 × 10^k inside [lo, hi], thinned to decades when crowded. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
    for (const m of [1, 2, 5]) {
      const t = k + Math.log10(m);
      if (t >= lo && t <= hi) out.push(t);
    }
  }
  if (out.length > 8) return out.filter((t) => Number.isInteger(t));
  return out.length >= 2 ? out : niceTicks(lo, hi);
}

function label(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1).replace('e+', 'e');
  return String(Number(value.toPrecision(4)));
}

class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3).fill(255);
    this.clip = [0, 0, width - 1, height - 1];
  }

  /** Drawing is limited to this rectangle (x0, y0, x1, y1), inclusive. */
  clip: [number, number, number, number];

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    const [x0, y0, x1, y1] = this.clip;
    if (xi < x0 || yi < y0 || xi > x1 || yi > y1) return;
    const i = (yi * this.width + xi) * 3;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  /** A line of the given thickness (square pen), by stepping along the longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dx = -Math.floor(r); dx <= Math.ceil(r); dx++) for (let dy = -Math.floor(r); dy <= Math.ceil(r); dy++) this.set(x + dx, y + dy, c);
    }
  }

  text(s: string, x: number, y: number, c: Rgb): void {
    let cx = x;
    for (const ch of s) {
      const glyph = GLYPHS[ch];
      if (glyph) {
        glyph.forEach((row, gy) => {
          for (let gx = 0; gx < 3; gx++) {
            if (!(row & (4 >> gx))) continue;
            for (let a = 0; a < FONT_SCALE; a++) for (let b = 0; b < FONT_SCALE; b++) this.set(cx + gx * FONT_SCALE + a, y + gy * FONT_SCALE + b, c);
          }
        });
      }
      cx += 4 * FONT_SCALE;
    }
  }
}

function textWidth(s: string): number {
  return s.length * 4 * FONT_SCALE - FONT_SCALE;
}

export function renderLineChart(series: readonly Series[], options: ChartOptions = {}): Chart {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 120 || height < 80) {
    throw new Error(`chart size must be whole pixels of at least 120 × 80, got ${width} × ${height}`);
  }
  const transform = (y: number): number => (options.logY ? Math.log10(y) : y);
  const finite = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!options.logY || p.y > 0));
  if (finite.length === 0) throw new Error('chart: no finite points to plot');
  let [xMin, xMax] = [Math.min(...finite.map((p) => p.x)), Math.max(...finite.map((p) => p.x))];
  const ys = finite.map((p) => transform(p.y)).sort((a, b) => a - b);
  let yMin = ys[0]!;
  let yMax = ys[ys.length - 1]!;
  if (options.yClipQuantile !== undefined) {
    if (!(options.yClipQuantile > 0 && options.yClipQuantile <= 1)) throw new Error(`chart: yClipQuantile must be in (0, 1], got ${options.yClipQuantile}`);
    yMax = ys[Math.min(ys.length - 1, Math.floor(options.yClipQuantile * (ys.length - 1)))]!;
  }
  if (xMax === xMin) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMax === yMin) [yMin, yMax] = [yMin - 1, yMax + 1];
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;

  const yTicks = options.logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax);
  const yLabels = yTicks.map((t) => label(options.logY ? 10 ** t : t));
  const left = 12 + Math.max(...yLabels.map(textWidth));
  const right = width - 16;
  const top = 12;
  const bottom = height - 28;
  const toPixel = (x: number, y: number): [number, number] => [
    left + ((x - xMin) / (xMax - xMin)) * (right - left),
    bottom - ((transform(y) - yMin) / (yMax - yMin)) * (bottom - top),
  ];
  const canvas = new Canvas(width, height);

  for (const [i, t] of yTicks.entries()) {
    const py = bottom - ((t - yMin) / (yMax - yMin)) * (bottom - top);
    canvas.line(left, py, right, py, GRID);
    canvas.text(yLabels[i]!, left - 6 - textWidth(yLabels[i]!), py - 5, AXIS);
  }
  for (const t of niceTicks(xMin, xMax)) {
    const px = left + ((t - xMin) / (xMax - xMin)) * (right - left);
    canvas.line(px, top, px, bottom, GRID);
    const text = label(t);
    canvas.text(text, px - textWidth(text) / 2, bottom + 8, AXIS);
  }
  canvas.line(left, top, left, bottom, AXIS);
  canvas.line(left, bottom, right, bottom, AXIS);

  canvas.clip = [left, top - 1, right + 1, bottom];
  for (const s of series) {
    let previous: [number, number] | null = null;
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || (options.logY && p.y <= 0)) {
        previous = null;
        continue;
      }
      const point = toPixel(p.x, p.y);
      if (previous) canvas.line(previous[0], previous[1], point[0], point[1], s.color, 2);
      else canvas.line(point[0], point[1], point[0], point[1], s.color, 2);
      previous = point;
    }
  }
  return { data: canvas.data, width, height, xRange: [xMin, xMax], yRange: [yMin, yMax], toPixel };
}
