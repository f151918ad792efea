/**
 * The Lipschitz panel's bar chart: one bar per block in flow order, coloured by level (hue)
 * and block (lightness) like the log-det chart, with a dashed line at 1: a block above it
 * expands some direction, the local behaviour Sec. 2.3 ties to log-det blow-ups.
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { BlockEstimate } from '../../stores/lipschitz';
import { referenceLinePlugin } from './referenceLines';
import { layerColor } from './theme';
import type { ChartTheme } from './types';

export function lipschitzChartConfig(blocks: readonly BlockEstimate[], theme: ChartTheme): ChartConfiguration<'bar', number[], string> {
  const levels = Math.max(1, ...blocks.map((b) => (b.level ?? 0) + 1));
  const perLevel = Math.max(1, ...blocks.map((b) => (b.block ?? 0) + 1));
  const colors = blocks.map((b, i) => (b.level === null ? layerColor(0, i, 1, blocks.length) : layerColor(b.level, b.block ?? 0, levels, perLevel)));
  const one = referenceLinePlugin(() => [{ y: 1, label: '1', color: theme.muted, dash: [4, 3] }]) as unknown as Plugin<'bar'>;
  return {
    type: 'bar',
    data: {
      labels: blocks.map((b) => b.name),
      datasets: [{ label: 'Lipschitz estimate', data: blocks.map((b) => b.estimate), backgroundColor: colors, borderColor: colors, borderWidth: 1 }],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: {
        x: { ticks: { color: theme.text, autoSkip: true, maxRotation: 60 }, grid: { display: false }, border: { color: theme.grid } },
        y: {
          beginAtZero: true,
          suggestedMax: 1.2,
          title: { display: true, text: '‖J‖₂ (max over test examples)', color: theme.text },
          ticks: { color: theme.text, maxTicksLimit: 6 },
          grid: { color: theme.grid },
          border: { color: theme.grid },
        },
      },
    },
    plugins: [one],
  };
}
