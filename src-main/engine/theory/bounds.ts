/**
 * Reference bounds of Sec. 2 for an image dataset, streamed in two passes:
 *  1. the mean (and, for the exact PPCA, the float64 covariance, see moments.ts);
 *  2. per image, the unitary DFT of k − μ, which gives the image's QLF eigenvalues (qlf.ts) and
 *     feeds the stationary PPCA bound (ppca.ts).
 * Everything is in the units of training (x̃ = k + u on the n-bit grid; see gaussian.ts).
 */
import { DEQUANTISATION_VARIANCE } from './gaussian';
import { ImageDft } from '../numeric/fft';
import { MomentAccumulator } from './moments';
import { type GaussianBound, SpectralAccumulator, ppcaFromCovariance } from './ppca';
import { type Moments, gaussianCrossEntropy } from './heldOut';
import { QlfAccumulator, qlfLiteralLogEigenSum, qlfLogEigenSum } from './qlf';

/** Largest d for which the exact d × d covariance is used by default (3 × 32 × 32). */
export const EXACT_MAX_DIMS = 3072;

export type PpcaMethod = 'exact' | 'stationary';

/** Integer images, read in one or more passes. */
export interface ImageSource {
  /** [height, width, channels]. */
  shape: readonly number[];
  /** Bits per value: values are integers in [0, 2^bits). */
  bits: number;
  /** Number of examples a pass yields, when known (progress only). */
  total?: number;
  /** A fresh pass over the same examples in the same order. */
  batches(): AsyncIterable<{ data: Uint8Array; n: number }>;
}

export interface BoundsProgress {
  pass: 1 | 2;
  done: number;
  total: number | null;
}

export interface BoundsOptions {
  /** 'auto': exact when d ≤ exactMaxDims, else stationary. */
  method?: PpcaMethod | 'auto';
  exactMaxDims?: number;
  onProgress?: (progress: BoundsProgress) => void;
  /** Checked between batches. */
  signal?: AbortSignal;
  /**
   * Moments of another split (the training split): the Gaussian fitted there is also evaluated
   * on this one (`heldOutPpcaBpd`, exact method only).
   */
  heldOutFit?: Moments;
}

export interface BoundsResult {
  /** The PPCA optimum by `ppcaMethod` (exact, or the stationary upper bound). */
  ppcaBpd: number;
  ppcaMethod: PpcaMethod;
  /** The stationary (DFT) PPCA upper bound; equals ppcaBpd when that method was used. */
  stationaryPpcaBpd: number;
  /** Eq. 6 under the translation-averaged, dequantised per-image auto-correlation. */
  qlfBpd: number;
  /** The training split's Gaussian evaluated on this split (when `heldOutFit` was given). */
  heldOutPpcaBpd?: number;
  /** Eq. 6 read literally, S = (k − μ)(k − μ)ᵀ + I/12: finite but ≈ 0.2546 bpd for any data. */
  qlfLiteralBpd: number;
  dims: number;
  count: number;
  /** One line describing both estimators, for the `estimator` field of the protocol. */
  estimator: string;
}

export function describeEstimators(method: PpcaMethod): string {
  const ppca =
    method === 'exact'
      ? 'ppca: exact Gaussian optimum, float64 Cholesky of Cov(k) + I/12'
      : 'ppca: stationary DFT upper bound, sum over frequencies of log det(cross-channel spectrum + I/12)';
  return `${ppca}; qlf: Eq. 6 with each image's translation-averaged auto-correlation of k - mean plus I/12 (eigenvalues = own periodogram + 1/12)`;
}

function checkShape(shape: readonly number[], bits: number): [number, number, number] {
  if (shape.length !== 3 || !shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(`bounds need images of shape [height, width, channels], got [${shape.join(', ')}]`);
  }
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new Error(`bounds need integer images of 1 to 8 bits, got bits = ${bits}`);
  return [shape[0]!, shape[1]!, shape[2]!];
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('bounds computation cancelled');
}

export async function computeBounds(source: ImageSource, options: BoundsOptions = {}): Promise<BoundsResult> {
  const [h, w, c] = checkShape(source.shape, source.bits);
  const dims = h * w * c;
  const requested = options.method ?? 'auto';
  const method: PpcaMethod = requested === 'auto' ? (dims <= (options.exactMaxDims ?? EXACT_MAX_DIMS) ? 'exact' : 'stationary') : requested;
  const total = source.total ?? null;

  // Pass 1: mean, and the exact covariance when asked for.
  const moments = new MomentAccumulator(dims, method === 'exact' ? 'tensor' : 'none', 2 ** (source.bits - 1));
  options.onProgress?.({ pass: 1, done: 0, total });
  for await (const batch of source.batches()) {
    throwIfAborted(options.signal);
    if (method === 'exact') await moments.addIntegers(batch.data, batch.n, source.bits);
    else addSums(moments, batch.data, batch.n, source.bits);
    options.onProgress?.({ pass: 1, done: moments.count, total });
  }
  if (moments.count === 0) throw new Error('bounds: the dataset split has no examples');
  const mean = moments.mean();

  // Pass 2: per-image spectra.
  const dft = new ImageDft(h, w, c);
  const frequencies = h * w;
  const spectral = new SpectralAccumulator(frequencies, c);
  const qlf = new QlfAccumulator(dims);
  const qlfLiteral = new QlfAccumulator(dims);
  const re = new Float64Array(dims);
  const im = new Float64Array(dims);
  let seen = 0;
  options.onProgress?.({ pass: 2, done: 0, total });
  for await (const batch of source.batches()) {
    throwIfAborted(options.signal);
    for (let e = 0; e < batch.n; e++) {
      dft.transform(batch.data.subarray(e * dims, (e + 1) * dims), re, im, mean);
      qlf.addLogEigenSum(qlfLogEigenSum(re, im, frequencies, c, DEQUANTISATION_VARIANCE));
      spectral.add(re, im);
      let energy = 0; // ‖k − μ‖², by Parseval
      for (let i = 0; i < dims; i++) energy += re[i]! * re[i]! + im[i]! * im[i]!;
      qlfLiteral.addLogEigenSum(qlfLiteralLogEigenSum(energy, dims, DEQUANTISATION_VARIANCE));
    }
    seen += batch.n;
    options.onProgress?.({ pass: 2, done: seen, total });
  }
  if (seen !== moments.count) {
    throw new Error(`bounds: the second pass over the data saw ${seen} examples, the first ${moments.count}; the source must repeat itself`);
  }

  const stationary = spectral.bound(DEQUANTISATION_VARIANCE);
  let ppca: GaussianBound = stationary;
  let heldOut: number | undefined;
  if (method === 'exact') {
    const cov = moments.covariance();
    ppca = ppcaFromCovariance(cov, dims, DEQUANTISATION_VARIANCE);
    if (options.heldOutFit) heldOut = gaussianCrossEntropy(options.heldOutFit, { mean, cov }, dims, DEQUANTISATION_VARIANCE).bpd;
  } else if (options.heldOutFit) {
    throw new Error('bounds: the held-out PPCA value needs the exact method (d ≤ exactMaxDims)');
  }
  return {
    ...(heldOut !== undefined ? { heldOutPpcaBpd: heldOut } : {}),
    ppcaBpd: ppca.bpd,
    ppcaMethod: method,
    stationaryPpcaBpd: stationary.bpd,
    qlfBpd: qlf.bpd(),
    qlfLiteralBpd: qlfLiteral.bpd(),
    dims,
    count: moments.count,
    estimator: describeEstimators(method),
  };
}

/** Mean and covariance of a split by one exact streaming pass (the fit for `heldOutFit`). */
export async function streamMoments(source: ImageSource, onProgress?: (done: number) => void, signal?: AbortSignal): Promise<Moments & { count: number }> {
  const [h, w, c] = checkShape(source.shape, source.bits);
  const moments = new MomentAccumulator(h * w * c, 'tensor', 2 ** (source.bits - 1));
  for await (const batch of source.batches()) {
    throwIfAborted(signal);
    await moments.addIntegers(batch.data, batch.n, source.bits);
    onProgress?.(moments.count);
  }
  if (moments.count === 0) throw new Error('bounds: the dataset split has no examples');
  return { mean: moments.mean(), cov: moments.covariance(), count: moments.count };
}

/** Pass-1 sums without a Gram matrix (the stationary method needs only the mean). */
function addSums(moments: MomentAccumulator, data: Uint8Array, n: number, bits: number): void {
  const limit = 2 ** bits;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= limit) throw new Error(`bounds: value ${data[i]} at index ${i} does not fit in ${bits} bits`);
  }
  moments.addFloats(data, n);
}

/** An in-memory source (tests, small arrays): n examples of the given shape. */
export function arraySource(data: Uint8Array, shape: readonly number[], bits: number, batchSize = 256): ImageSource {
  const d = shape.reduce((a, b) => a * b, 1);
  if (data.length % d !== 0) throw new Error(`arraySource: ${data.length} values is not a whole number of ${d}-value examples`);
  const n = data.length / d;
  return {
    shape,
    bits,
    total: n,
    async *batches() {
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        yield { data: data.subarray(start * d, (start + m) * d), n: m };
      }
    },
  };
}
