/** The real chart factory: Chart.js with only the pieces FlowStudio draws (keeps the bundle small). */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartFactory } from './types';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, LogarithmicScale, CategoryScale, Decimation, Tooltip);

export const chartJsFactory: ChartFactory = (canvas, config) => new Chart(canvas, config);
