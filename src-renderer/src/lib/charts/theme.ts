/** Chart colours come from the theme's CSS variables, so dark and light stay in one place. */
import type { ChartTheme } from './types';

const FALLBACK: ChartTheme = {
  text: '#c9d1d9',
  grid: 'rgba(140, 150, 160, 0.18)',
  muted: '#8b949e',
  train: '#58a6ff',
  test: '#f0883e',
  expansive: '#ff7b72',
  contractive: '#56b6f7',
  accent: '#a371f7',
  accentFill: 'rgba(163, 113, 247, 0.35)',
  reference: ['#3fb950', '#d29922', '#db61a2'],
};

export function readChartTheme(root: Element | null = typeof document === 'undefined' ? null : document.documentElement): ChartTheme {
  if (!root || typeof getComputedStyle === 'undefined') return FALLBACK;
  const style = getComputedStyle(root);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read('--chart-text', FALLBACK.text),
    grid: read('--chart-grid', FALLBACK.grid),
    muted: read('--fg-muted', FALLBACK.muted),
    train: read('--series-train', FALLBACK.train),
    test: read('--series-test', FALLBACK.test),
    expansive: read('--expansive', FALLBACK.expansive),
    contractive: read('--contractive', FALLBACK.contractive),
    accent: read('--accent', FALLBACK.accent),
    accentFill: read('--accent-fill', FALLBACK.accentFill),
    reference: [read('--ref-1', FALLBACK.reference[0]!), read('--ref-2', FALLBACK.reference[1]!), read('--ref-3', FALLBACK.reference[2]!)],
  };
}

/** A colour per layer: hue by level, lightness by block (the paper's legends order layers so). */
export function layerColor(level: number, block: number, levels: number, blocks: number): string {
  const hue = Math.round((360 * level) / Math.max(1, levels) + 200) % 360;
  const lightness = 40 + Math.round((30 * block) / Math.max(1, blocks - 1 || 1));
  return `hsl(${hue} 70% ${lightness}%)`;
}
