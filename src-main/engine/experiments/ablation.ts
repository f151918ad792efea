/**
 * The Sec. 6.2 ablation (Fig. 4): the same model, data and seed trained five ways —
 *  baseline       the proposed flow (bounded Mexican-hat scales, f' ≤ 1 activation);
 *  tanh           a tanh inserted after f_aff;
 *  normal-cdf     a normal CDF inserted after f_aff;
 *  l2-transport   an L2 transport cost on f_act's output (weight `transportWeight`): each
 *                 block's displacement ‖f_l(h) − h‖² (train/objective.ts);
 *  unconstrained  no constraints on f_aff and f_act (the paper: collapses early).
 * and a markdown report with the NLL curves and the mean variance of the intermediate maps
 * (Fig. 4 a/b) as PNG plots. A variant whose training diverges is reported as collapsed at the
 * step it stopped, with its curves up to there.
 */
import { writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { lossUnit } from '../../../src-shared/lossUnit';
import { join, resolve } from 'node:path';
import type { ModelConfig, PresetName, RunOverrides } from '../../../src-shared/config';
import type { MetricsRecord } from '../../../src-shared/protocol';
import { encodePng, parseDataSpec } from '../../data';
import type { Dataset, OpenOptions } from '../../data/types';
import { RunManager } from '../runs/runManager';
import { type ChartOptions, type Rgb, type Series, renderLineChart } from './plot';

export interface AblationVariant {
  name: string;
  description: string;
  ablation: ModelConfig['ablation'];
  color: Rgb;
  colorName: string;
}

/**
 * Default weight λ of the L2 transport cost (the paper gives none). The cost is per dimension
 * for images and per example for toys, like the loss it is added to; docs/ablation/ablation.md
 * reports what it came to.
 */
export const DEFAULT_TRANSPORT_WEIGHT = 0.1;

export function ablationVariants(transportWeight = DEFAULT_TRANSPORT_WEIGHT): AblationVariant[] {
  if (!(transportWeight > 0)) throw new Error(`the transport-cost weight must be positive, got ${transportWeight}`);
  const none = { afterCoupling: 'none', transportCost: 0, unconstrained: false } as const;
  return [
    { name: 'baseline', description: 'the proposed flow', ablation: { ...none }, color: [31, 119, 180], colorName: 'blue' },
    { name: 'tanh', description: 'tanh after f_aff', ablation: { ...none, afterCoupling: 'tanh' }, color: [255, 127, 14], colorName: 'orange' },
    { name: 'normal-cdf', description: 'normal CDF after f_aff', ablation: { ...none, afterCoupling: 'normal-cdf' }, color: [44, 160, 44], colorName: 'green' },
    {
      name: 'l2-transport',
      description: `L2 transport cost on f_act's output, weight ${transportWeight}`,
      ablation: { ...none, transportCost: transportWeight },
      color: [148, 103, 189],
      colorName: 'purple',
    },
    { name: 'unconstrained', description: 'no constraints on f_aff and f_act', ablation: { ...none, unconstrained: true }, color: [214, 39, 40], colorName: 'red' },
  ];
}

/** The preset an ablation uses for a data format when none is given. */
export function defaultPresetFor(data: string): PresetName {
  const spec = parseDataSpec(data);
  switch (spec.format) {
    case 'toy':
      return 'toy2d';
    case 'mnist':
    case 'fashion-mnist':
      return 'fashion-mnist-small';
    case 'cifar10':
      return 'paper-cifar10';
    case 'imagenet32':
      return 'paper-imagenet32';
    case 'folder':
      return 'paper-celebahq1024';
  }
}

export interface AblationOptions {
  data: string;
  steps: number;
  /** A fresh folder: one run folder per variant inside, plus the report. */
  outDir: string;
  seed?: number;
  preset?: PresetName;
  batchSize?: number;
  evalN?: number;
  transportWeight?: number;
  /** Subset of variant names (default all five, in the order above). */
  only?: string[];
  /** Extra model overrides applied to every variant (smaller models for quick runs). */
  model?: Omit<NonNullable<RunOverrides['model']>, 'ablation'>;
  openDataset: (spec: string, options?: OpenOptions) => Promise<Dataset>;
  onLog?: (message: string) => void;
  onStep?: (variant: string, step: number, total: number, loss: number | undefined) => void;
}

export interface VariantOutcome {
  variant: AblationVariant;
  runDir: string;
  status: 'finished' | 'collapsed';
  /** Why it stopped, when it collapsed. */
  failure?: string;
  /** Last step that produced metrics. */
  lastStep: number;
  /** Last step with a finite training loss (a collapse starts right after it). */
  lastFiniteStep: number;
  /** Training NLL per step (bpd for images, nats for toys), the likelihood alone; non-finite steps are absent. */
  nll: { step: number; value: number }[];
  /** With a transport cost: the objective minimised (NLL + λ·T) and T itself, per step. */
  objective: { step: number; value: number; transport: number }[];
  /** Mean over layers of each layer's output variance, at diagnostics steps. */
  variance: { step: number; value: number }[];
  finalTest: number | null;
  seconds: number;
}

export interface AblationResult {
  outcomes: VariantOutcome[];
  reportPath: string;
  nllPlot: string;
  variancePlot: string;
  unit: 'bpd' | 'nats';
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export async function runAblation(options: AblationOptions): Promise<AblationResult> {
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error(`steps must be a positive integer, got ${options.steps}`);
  const outDir = resolve(options.outDir);
  const all = ablationVariants(options.transportWeight);
  const variants = options.only ? options.only.map((name) => {
    const v = all.find((a) => a.name === name);
    if (!v) throw new Error(`unknown ablation variant "${name}"; known: ${all.map((a) => a.name).join(', ')}`);
    return v;
  }) : all;
  for (const v of variants) {
    if (existsSync(join(outDir, v.name))) throw new Error(`${join(outDir, v.name)} already exists; choose a fresh --out folder`);
  }
  mkdirSync(outDir, { recursive: true });
  const preset = options.preset ?? defaultPresetFor(options.data);
  const seed = options.seed ?? 0;
  const diagnosticsEvery = Math.max(1, Math.floor(options.steps / 200));
  const manager = new RunManager(options.openDataset, outDir);
  const outcomes: VariantOutcome[] = [];
  let unit: 'bpd' | 'nats' = 'bpd';
  // The manager releases each ended trainer when it starts the next; the last one is ours.
  let last: { model: { dispose(): void }; dispose(): void } | null = null;

  for (const variant of variants) {
    const records: MetricsRecord[] = [];
    const started = performance.now();
    options.onLog?.(`ablation: training ${variant.name} (${variant.description}) for ${options.steps} steps`);
    const { trainer, done } = await manager.start({
      preset,
      overrides: {
        data: options.data,
        model: { ...options.model, ablation: variant.ablation },
        train: {
          steps: options.steps,
          seed,
          diagnosticsEvery,
          evalEvery: 0,
          checkpointEvery: 0,
          // The ablation shows where a variant collapses (Sec. 6.2): no rollback to a lower
          // learning rate, which would hide the collapse behind a different run.
          maxRollbacks: 0,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          ...(options.evalN !== undefined ? { evalN: options.evalN } : {}),
        },
      },
      runDir: join(outDir, variant.name),
      resume: false,
      callbacks: {
        onMetrics: (r) => {
          records.push(r);
          options.onStep?.(variant.name, r.step, options.steps, r.trainBpd ?? r.trainNll);
        },
        onLog: (level, message) => {
          if (level === 'warn' || level === 'error') options.onLog?.(`${variant.name}: ${message}`);
        },
      },
    });
    const summary = await done;
    if (lossUnit(trainer.config.model) === 'nats') unit = 'nats';
    const nll = records.flatMap((r) => {
      const value = r.trainBpd ?? r.trainNll;
      return value !== undefined && Number.isFinite(value) ? [{ step: r.step, value }] : [];
    });
    const objective = records.flatMap((r) =>
      r.trainObjective !== undefined && r.transportCost !== undefined && Number.isFinite(r.trainObjective) ? [{ step: r.step, value: r.trainObjective, transport: r.transportCost }] : [],
    );
    const variance = records.flatMap((r) => (r.layerVariance && r.layerVariance.length > 0 ? [{ step: r.step, value: mean(r.layerVariance) }] : []));
    const outcome: VariantOutcome = {
      variant,
      runDir: trainer.folder.dir,
      status: summary ? 'finished' : 'collapsed',
      lastStep: records.reduce((m, r) => Math.max(m, r.step), 0),
      lastFiniteStep: nll.length > 0 ? nll[nll.length - 1]!.step : 0,
      nll,
      objective,
      variance,
      finalTest: summary ? summary.finalTest : null,
      seconds: (performance.now() - started) / 1000,
    };
    if (!summary) outcome.failure = trainer.folder.readStatus()?.message ?? 'training failed';
    outcomes.push(outcome);
    last = trainer;
    options.onLog?.(
      `ablation: ${variant.name} ${outcome.status === 'finished' ? `finished at step ${outcome.lastStep}` : `collapsed after step ${outcome.lastFiniteStep}`} (${outcome.seconds.toFixed(0)} s)`,
    );
  }

  if (last) {
    last.model.dispose();
    last.dispose();
  }

  const nllPlot = join(outDir, 'nll.png');
  const variancePlot = join(outDir, 'variance.png');
  await writeChart(nllPlot, outcomes.map((o) => ({ name: o.variant.name, color: o.variant.color, points: o.nll.map((p) => ({ x: p.step, y: p.value })) })), { yClipQuantile: 0.98 });
  await writeChart(variancePlot, outcomes.map((o) => ({ name: o.variant.name, color: o.variant.color, points: o.variance.map((p) => ({ x: p.step, y: p.value })) })), { logY: true });
  const reportPath = join(outDir, 'ablation.md');
  writeFileSync(reportPath, ablationReport(outcomes, { data: options.data, preset, steps: options.steps, seed, unit }));
  return { outcomes, reportPath, nllPlot, variancePlot, unit };
}

async function writeChart(path: string, series: Series[], options: ChartOptions): Promise<void> {
  const drawable = series.filter((s) => s.points.some((p) => Number.isFinite(p.y) && (!options.logY || p.y > 0)));
  if (drawable.length === 0) return;
  const chart = renderLineChart(drawable, options);
  const png = await encodePng({ data: chart.data, shape: [chart.height, chart.width, 3], bits: 8 });
  writeFileSync(path, Buffer.from(png.base64, 'base64'));
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** The markdown report (pure: tests feed it synthetic outcomes). */
export function ablationReport(
  outcomes: readonly VariantOutcome[],
  meta: { data: string; preset: string; steps: number; seed: number; unit: 'bpd' | 'nats' },
): string {
  const unit = meta.unit === 'bpd' ? 'bits/dim' : 'nats';
  const lines = [
    '# Sec. 6.2 ablation: effect of Lipschitz constraints',
    '',
    `Data \`${meta.data}\`, preset \`${meta.preset}\`, ${meta.steps} steps, seed ${meta.seed} (same seed for every variant). ` +
      `Training NLL in ${unit}, the likelihood alone (no penalty); "final" is the mean over the last 10 % of the steps that ran. ` +
      'For the transport-cost variant, "final objective" is what it minimised, NLL + λ·T, and T the cost itself.',
    '',
    '| variant | what | status | final train NLL | best train NLL | test NLL | final objective | final T | final mean variance | time |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const o of outcomes) {
    const tail = o.nll.slice(Math.floor(o.nll.length * 0.9));
    // A collapsed run has no final value (the paper shows no curve for it).
    const final = tail.length > 0 && o.status === 'finished' ? mean(tail.map((p) => p.value)) : null;
    const best = o.nll.length > 0 ? Math.min(...o.nll.map((p) => p.value)) : null;
    const variance = o.variance.length > 0 ? o.variance[o.variance.length - 1]!.value : null;
    const status = o.status === 'finished' ? 'finished' : `collapsed after step ${o.lastFiniteStep}`;
    const objTail = o.objective.slice(Math.floor(o.objective.length * 0.9));
    const finalObjective = objTail.length > 0 && o.status === 'finished' ? mean(objTail.map((p) => p.value)) : null;
    const finalT = objTail.length > 0 && o.status === 'finished' ? mean(objTail.map((p) => p.transport)) : null;
    lines.push(
      `| ${o.variant.name} | ${o.variant.description} | ${status} | ${fmt(final)} | ${fmt(best)} | ${fmt(o.finalTest)} | ${fmt(finalObjective)} | ${fmt(finalT)} | ${fmt(variance, 3)} | ${o.seconds.toFixed(0)} s |`,
    );
  }
  lines.push('', 'Colours: ' + outcomes.map((o) => `${o.variant.name} ${o.variant.colorName}`).join(', ') + '.', '');
  lines.push(`![training NLL (${unit}) against step](nll.png)`, '', '*Fig. 4a analogue: training NLL (the likelihood alone) against step.*', '');
  lines.push('![mean variance of the intermediate maps against step (log scale)](variance.png)', '');
  lines.push('*Fig. 4b analogue: mean over layers of the variance of each layer output, log scale.*', '');
  const collapsed = outcomes.filter((o) => o.status === 'collapsed');
  if (collapsed.length > 0) {
    lines.push('## Collapsed variants', '');
    for (const o of collapsed) {
      lines.push(`- ${o.variant.name}: last finite loss at step ${o.lastFiniteStep}, stopped at step ${o.lastStep}: ${o.failure ?? 'training failed'}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
