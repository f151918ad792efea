/** A tiny Chart.js plugin: labelled horizontal lines (bounds, the zero of a log-det axis). */
import type { Chart, Plugin } from 'chart.js';

export interface ReferenceLine {
  y: number;
  label: string;
  color: string;
  dash?: number[];
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
