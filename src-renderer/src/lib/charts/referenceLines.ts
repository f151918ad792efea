/** A tiny Chart.js plugin: labelled horizontal lines (bounds, the zero of a log-det axis). */
import type { Chart, Plugin } from 'chart.js';
import type { Bounds } from '../../../../src-shared/protocol';
import { formatNumber } from '../format';

export interface ReferenceLine {
  y: number;
  label: string;
  color: string;
  dash?: number[];
  /** What the line is, for a tooltip beside the chart (the canvas has none). */
  title?: string;
}

/**
 * The Sec. 2 reference lines of the NLL chart, in bits/dim, for bounds computed on the split
 * of the curve they sit beside (the test split):
 *  - the PPCA / linear-flow optimum is a true bound: no flow that is linear in x (W and b
 *    independent of x, Sec. 2.1.2) reaches a lower bpd on this split. Solid.
 *  - the QLF value of Eq. 6 depends on an estimator of each image's auto-correlation and is
 *    not a bound on what a non-linear flow reaches (measured: a trained flow goes below it on
 *    Fashion-MNIST, docs/results.md); labelled an estimate, dotted, the estimator in its title.
 */
export function boundsReferenceLines(bounds: Bounds, colors: { linear: string; qlf: string }): ReferenceLine[] {
  const where = `${bounds.count} ${bounds.split} examples, d = ${bounds.dims}`;
  const heldOut =
    bounds.heldOutPpcaBpd === undefined ? '' : ` The Gaussian fitted on the train split scores ${formatNumber(bounds.heldOutPpcaBpd, 4)} here.`;
  return [
    {
      y: bounds.ppcaBpd,
      label: `linear-flow bound (PPCA, ${bounds.split}) ${formatNumber(bounds.ppcaBpd, 3)}`,
      color: colors.linear,
      dash: [],
      title: `Best linear flow (PPCA: the Gaussian with the data covariance) on ${where}: no x-independent linear flow gets below this line.${heldOut}`,
    },
    {
      y: bounds.qlfBpd,
      label: `QLF estimate (Eq. 6, ${bounds.split}) ${formatNumber(bounds.qlfBpd, 3)}, not a bound`,
      color: colors.qlf,
      dash: [2, 3],
      title: `QLF optimum of Eq. 6 on ${where}, estimated with: ${bounds.estimator}. An estimate under that estimator, not a bound: a non-linear flow can go below it.`,
    },
  ];
}

export function referenceLinePlugin(lines: () => readonly ReferenceLine[], axis = 'y'): Plugin<'line'> {
  return {
    id: 'flowstudioReferenceLines',
    afterDatasetsDraw(chart: Chart<'line'>) {
      const scale = chart.scales[axis];
      const area = chart.chartArea;
      if (!scale || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'bottom';
      ctx.textAlign = 'right';
      for (const line of lines()) {
        const y = scale.getPixelForValue(line.y);
        if (!Number.isFinite(y) || y < area.top || y > area.bottom) continue;
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 1;
        ctx.setLineDash(line.dash ?? [6, 4]);
        ctx.beginPath();
        ctx.moveTo(area.left, y);
        ctx.lineTo(area.right, y);
        ctx.stroke();
        if (line.label) ctx.fillText(line.label, area.right - 4, y - 2);
      }
      ctx.restore();
    },
  };
}
