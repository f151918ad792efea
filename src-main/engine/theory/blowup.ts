/**
 * Detects the log-det blow-up of Sec. 2.2 / Fig. 2 from the per-layer log-det history.
 *
 * Maximum likelihood pushes every layer's log|det J| up (expansion); only the prior term,
 * back-propagated through the later layers, pulls it back. In a healthy run each layer's
 * log-det rises and then levels off (a concave curve). In the failure the paper describes
 * (Glow's 1×1 convolutions, openai/glow#40) a layer's log-det keeps accelerating until the
 * weights overflow. Three signals, most severe first:
 *  - non-finite: a layer's log-det is NaN or ±Infinity in the latest record;
 *  - accelerating: over the recent window, the layer's |log-det| grows faster in the second
 *    half than in the first (least-squares slopes, ratio ≥ `acceleration`), by a rise that is
 *    large in absolute terms, relative to the layer's size, and relative to the noise;
 *  - sum diverging: the summed log-det rises by more than `sumRiseBpd` (in bits/dim, needs
 *    `dims`) over the window while the NLL improves by less than `stallFraction` of that: the
 *    expansion is being paid back by the prior term instead of fitting the data.
 * A pure function: the training loop calls it with its recent records.
 */

export interface LogdetHistoryPoint {
  step: number;
  /** Per layer, mean log|det J| per example (nats), in the model's layer order. */
  layerLogdet?: readonly number[];
  /** Bits per dimension (images). */
  trainBpd?: number;
  /** Nats per example (used when trainBpd is absent). */
  trainNll?: number;
}

export interface BlowupOptions {
  /** Most recent records considered (default 40). */
  window?: number;
  /** Fewest records with log-dets needed before judging (default 8). */
  minPoints?: number;
  /** Second-half slope must exceed this multiple of the first-half slope (default 2). */
  acceleration?: number;
  /** Smallest rise of |log-det| over the second half that counts, nats (default 1). */
  minRise?: number;
  /** ... and as a fraction of the layer's |log-det| at the window's start (default 0.05). */
  relativeRise?: number;
  /** ... and as a multiple of the residual noise of the fits (default 4). */
  noiseMultiple?: number;
  /** Dimensions d of one example: enables the summed-log-det check. */
  dims?: number;
  /** Rise of the summed log-det over the window that counts, bits/dim (default 0.5). */
  sumRiseBpd?: number;
  /** NLL improvement below this fraction of the summed rise counts as stalled (default 0.1). */
  stallFraction?: number;
}

export type BlowupKind = 'non-finite' | 'accelerating' | 'sum-diverging';

export interface BlowupWarning {
  kind: BlowupKind;
  /** Names of the layers involved (every layer for 'sum-diverging'). */
  layers: string[];
  message: string;
  /** Step of the latest record. */
  step: number;
}

interface Fit {
  slope: number;
  intercept: number;
  residualStd: number;
}

function lineFit(t: readonly number[], y: readonly number[]): Fit {
  const n = t.length;
  const tm = t.reduce((a, b) => a + b, 0) / n;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  let stt = 0;
  let sty = 0;
  for (let i = 0; i < n; i++) {
    stt += (t[i]! - tm) ** 2;
    sty += (t[i]! - tm) * (y[i]! - ym);
  }
  const slope = stt > 0 ? sty / stt : 0;
  const intercept = ym - slope * tm;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - intercept - slope * t[i]!) ** 2;
  return { slope, intercept, residualStd: Math.sqrt(sse / Math.max(1, n - 2)) };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

export function detectLogdetBlowup(
  history: readonly LogdetHistoryPoint[],
  layerNames: readonly string[],
  options: BlowupOptions = {},
): BlowupWarning | null {
  const window = options.window ?? 40;
  const minPoints = Math.max(4, options.minPoints ?? 8);
  const acceleration = options.acceleration ?? 2;
  const minRise = options.minRise ?? 1;
  const relativeRise = options.relativeRise ?? 0.05;
  const noiseMultiple = options.noiseMultiple ?? 4;
  const records = history.filter((r) => r.layerLogdet !== undefined).slice(-window);
  for (const r of records) {
    if (r.layerLogdet!.length !== layerNames.length) {
      throw new Error(`blow-up detector: record at step ${r.step} has ${r.layerLogdet!.length} layer log-dets, expected ${layerNames.length} (one per layer)`);
    }
  }
  const latest = records[records.length - 1];
  if (!latest) return null;

  const nonFinite = layerNames.filter((_, l) => !Number.isFinite(latest.layerLogdet![l]!));
  if (nonFinite.length > 0) {
    return {
      kind: 'non-finite',
      layers: nonFinite,
      step: latest.step,
      message: `log-det blow-up at step ${latest.step}: log|det J| of ${nonFinite.join(', ')} is not finite; the layer has overflowed (roll back to the last checkpoint and lower the learning rate)`,
    };
  }
  if (records.length < minPoints) return null;

  const half = Math.floor(records.length / 2);
  const first = records.slice(0, half);
  const second = records.slice(records.length - half);
  const t1 = first.map((r) => r.step);
  const t2 = second.map((r) => r.step);
  const span2 = t2[t2.length - 1]! - t2[0]!;
  if (span2 <= 0) return null;

  const accelerating: { name: string; s1: number; s2: number }[] = [];
  layerNames.forEach((name, l) => {
    const y1 = first.map((r) => Math.abs(r.layerLogdet![l]!));
    const y2 = second.map((r) => Math.abs(r.layerLogdet![l]!));
    const f1 = lineFit(t1, y1);
    const f2 = lineFit(t2, y2);
    const rise = f2.slope * span2;
    const startLevel = Math.abs(f1.intercept + f1.slope * t1[0]!);
    const needed = Math.max(minRise, relativeRise * startLevel, noiseMultiple * Math.max(f1.residualStd, f2.residualStd));
    if (f2.slope > 0 && f2.slope > acceleration * Math.max(f1.slope, 0) && rise > needed) {
      accelerating.push({ name, s1: f1.slope, s2: f2.slope });
    }
  });
  if (accelerating.length > 0) {
    const per = 100;
    const detail = accelerating
      .map((a) => `${a.name} (${fmt(a.s1 * per)} → ${fmt(a.s2 * per)} nats per ${per} steps)`)
      .join(', ');
    return {
      kind: 'accelerating',
      layers: accelerating.map((a) => a.name),
      step: latest.step,
      message:
        `log-det blow-up (Sec. 2.2): |log det J| grows super-linearly over steps ${records[0]!.step}–${latest.step} in ${detail}; ` +
        'expansion is outrunning the contraction from the prior; lower the learning rate or constrain these layers',
    };
  }

  if (options.dims !== undefined) {
    const dims = options.dims;
    if (!Number.isInteger(dims) || dims < 1) throw new Error(`blow-up detector: dims must be a positive integer, got ${dims}`);
    const objective = records.map((r) => (r.trainBpd !== undefined ? r.trainBpd : r.trainNll !== undefined ? r.trainNll / (dims * Math.LN2) : NaN));
    if (objective.every(Number.isFinite)) {
      const t = records.map((r) => r.step);
      const span = t[t.length - 1]! - t[0]!;
      const sums = records.map((r) => r.layerLogdet!.reduce((a, b) => a + b, 0));
      const sumRiseBpd = (lineFit(t, sums).slope * span) / (dims * Math.LN2);
      const improvement = -lineFit(t, objective).slope * span;
      const threshold = options.sumRiseBpd ?? 0.5;
      if (sumRiseBpd > threshold && improvement < (options.stallFraction ?? 0.1) * sumRiseBpd) {
        return {
          kind: 'sum-diverging',
          layers: [...layerNames],
          step: latest.step,
          message:
            `log-det imbalance (Sec. 2.2): over steps ${t[0]}–${latest.step} the summed log-det rose by ${fmt(sumRiseBpd)} bits/dim ` +
            `while the NLL improved by ${fmt(improvement)} bits/dim; the expansion is being cancelled by the prior term (a precursor of the blow-up)`,
        };
      }
    }
  }
  return null;
}
