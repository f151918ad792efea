/**
 * Float64 discrete Fourier transforms for the spectral bounds. tfjs computes FFTs in float32
 * only; the bounds take logarithms of small power-spectrum values (down to the 1/12 floor of
 * the dequantisation noise) next to a DC term of order 255²·d, so they are done here in
 * float64 on the host.
 *
 * Lengths that are powers of two use an iterative radix-2 transform; any other length uses
 * Bluestein's chirp-z identity (n·k = (n² + k² − (k − n)²)/2), which turns a length-n DFT
 * into a circular convolution of power-of-two length m ≥ 2n − 1.
 */

/** A planned forward DFT of one length: X_k = Σ_n x_n e^{−2πi nk/N} (unnormalised). */
export interface FftPlan {
  readonly n: number;
  /** Transforms (re, im) in place. */
  transform(re: Float64Array, im: Float64Array): void;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

class Radix2Plan implements FftPlan {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;

  constructor(readonly n: number) {
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    this.rev = new Uint32Array(n);
    const bits = Math.round(Math.log2(n));
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  transform(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const j = this.rev[i]!;
      if (j > i) {
        const tr = re[i]!;
        re[i] = re[j]!;
        re[j] = tr;
        const ti = im[i]!;
        im[i] = im[j]!;
        im[j] = ti;
      }
    }
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = this.sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const br = re[b]!;
          const bi = im[b]!;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a] = re[a]! + tr;
          im[a] = im[a]! + ti;
        }
      }
    }
  }
}

class BluesteinPlan implements FftPlan {
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  /** FFT of the conjugate chirp, zero-padded and wrapped to length m. */
  private readonly kernelRe: Float64Array;
  private readonly kernelIm: Float64Array;
  private readonly inner: Radix2Plan;
  private readonly bufRe: Float64Array;
  private readonly bufIm: Float64Array;

  constructor(readonly n: number) {
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    this.inner = new Radix2Plan(m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // k² mod 2n keeps the angle small, so the chirp stays accurate for large n.
      const angle = (Math.PI * ((k * k) % (2 * n))) / n;
      this.chirpRe[k] = Math.cos(angle);
      this.chirpIm[k] = -Math.sin(angle);
    }
    this.kernelRe = new Float64Array(m);
    this.kernelIm = new Float64Array(m);
    for (let k = 0; k < n; k++) {
      this.kernelRe[k] = this.chirpRe[k]!;
      this.kernelIm[k] = -this.chirpIm[k]!;
      if (k > 0) {
        this.kernelRe[m - k] = this.chirpRe[k]!;
        this.kernelIm[m - k] = -this.chirpIm[k]!;
      }
    }
    this.inner.transform(this.kernelRe, this.kernelIm);
    this.bufRe = new Float64Array(m);
    this.bufIm = new Float64Array(m);
  }

  transform(re: Float64Array, im: Float64Array): void {
    const { n, bufRe, bufIm, chirpRe, chirpIm, kernelRe, kernelIm } = this;
    const m = bufRe.length;
    bufRe.fill(0);
    bufIm.fill(0);
    for (let k = 0; k < n; k++) {
      bufRe[k] = re[k]! * chirpRe[k]! - im[k]! * chirpIm[k]!;
      bufIm[k] = re[k]! * chirpIm[k]! + im[k]! * chirpRe[k]!;
    }
    this.inner.transform(bufRe, bufIm);
    // Pointwise product, then an inverse FFT as conj(FFT(conj(·)))/m.
    for (let k = 0; k < m; k++) {
      const r = bufRe[k]! * kernelRe[k]! - bufIm[k]! * kernelIm[k]!;
      const i = bufRe[k]! * kernelIm[k]! + bufIm[k]! * kernelRe[k]!;
      bufRe[k] = r;
      bufIm[k] = -i;
    }
    this.inner.transform(bufRe, bufIm);
    for (let k = 0; k < n; k++) {
      const r = bufRe[k]! / m;
      const i = -bufIm[k]! / m;
      re[k] = r * chirpRe[k]! - i * chirpIm[k]!;
      im[k] = r * chirpIm[k]! + i * chirpRe[k]!;
    }
  }
}

class TrivialPlan implements FftPlan {
  readonly n = 1;
  transform(): void {}
}

const plans = new Map<number, FftPlan>();

/** A cached plan for length n (any positive integer). */
export function fftPlan(n: number): FftPlan {
  if (!Number.isInteger(n) || n < 1) throw new Error(`FFT length must be a positive integer, got ${n}`);
  let plan = plans.get(n);
  if (!plan) {
    plan = n === 1 ? new TrivialPlan() : isPowerOfTwo(n) ? new Radix2Plan(n) : new BluesteinPlan(n);
    plans.set(n, plan);
  }
  return plan;
}

/** Unnormalised forward DFT of a complex vector; returns new arrays. */
export function dft(re: ArrayLike<number>, im?: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = Float64Array.from(re);
  const outIm = im ? Float64Array.from(im) : new Float64Array(n);
  if (outIm.length !== n) throw new Error(`dft: real part has ${n} values, imaginary part ${outIm.length}`);
  fftPlan(n).transform(outRe, outIm);
  return { re: outRe, im: outIm };
}

/**
 * Unitary 2-D DFT of every channel of an h × w × c image (HWC layout, real input).
 * Output: (re, im) in the layout [frequency, channel] with frequency index u·w + v, scaled by
 * 1/√(hw) so that Parseval holds (Σ|X|² = Σ x²): the eigenvalues of a circulant covariance
 * are then the expected |X|² directly.
 */
export class ImageDft {
  private readonly rowPlan: FftPlan;
  private readonly colPlan: FftPlan;
  /** One channel plane [y][x], then its transpose [x][y]: rows stay contiguous for both passes. */
  private readonly planeRe: Float64Array;
  private readonly planeIm: Float64Array;
  private readonly transRe: Float64Array;
  private readonly transIm: Float64Array;
  private readonly scale: number;

  constructor(
    readonly h: number,
    readonly w: number,
    readonly c: number,
  ) {
    this.rowPlan = fftPlan(w);
    this.colPlan = fftPlan(h);
    this.planeRe = new Float64Array(h * w);
    this.planeIm = new Float64Array(h * w);
    this.transRe = new Float64Array(h * w);
    this.transIm = new Float64Array(h * w);
    this.scale = 1 / Math.sqrt(h * w);
  }

  get size(): number {
    return this.h * this.w * this.c;
  }

  /**
   * Transforms `image` (length h·w·c, HWC) into `re`/`im` (same length, [u·w + v, channel]).
   * `offset` (per value, HWC, optional) is subtracted first: the dataset mean for centring.
   */
  transform(image: ArrayLike<number>, re: Float64Array, im: Float64Array, offset?: ArrayLike<number>): void {
    const { h, w, c, planeRe, planeIm, transRe, transIm, scale } = this;
    const hw = h * w;
    const d = hw * c;
    if (image.length !== d) throw new Error(`ImageDft: image has ${image.length} values, expected ${h}×${w}×${c} = ${d}`);
    if (offset && offset.length !== d) throw new Error(`ImageDft: offset has ${offset.length} values, expected ${d}`);
    // Blocked transposes keep the strided accesses inside the cache.
    const B = 32;
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0, idx = ch; p < hw; p++, idx += c) planeRe[p] = offset ? image[idx]! - offset[idx]! : image[idx]!;
      planeIm.fill(0);
      for (let y = 0; y < h; y++) this.rowPlan.transform(planeRe.subarray(y * w, (y + 1) * w), planeIm.subarray(y * w, (y + 1) * w));
      for (let y0 = 0; y0 < h; y0 += B) {
        for (let x0 = 0; x0 < w; x0 += B) {
          for (let y = y0; y < Math.min(y0 + B, h); y++) {
            for (let x = x0; x < Math.min(x0 + B, w); x++) {
              transRe[x * h + y] = planeRe[y * w + x]!;
              transIm[x * h + y] = planeIm[y * w + x]!;
            }
          }
        }
      }
      for (let v = 0; v < w; v++) this.colPlan.transform(transRe.subarray(v * h, (v + 1) * h), transIm.subarray(v * h, (v + 1) * h));
      for (let u0 = 0; u0 < h; u0 += B) {
        for (let v0 = 0; v0 < w; v0 += B) {
          for (let u = u0; u < Math.min(u0 + B, h); u++) {
            for (let v = v0; v < Math.min(v0 + B, w); v++) {
              re[(u * w + v) * c + ch] = transRe[v * h + u]! * scale;
              im[(u * w + v) * c + ch] = transIm[v * h + u]! * scale;
            }
          }
        }
      }
    }
  }
}

/**
 * Number of self-conjugate frequencies of an h × w grid ((u, v) ≡ (−u, −v)): there the DFT of a
 * real image is real. 1, 2 or 4 depending on the parity of h and w.
 */
export function selfConjugateCount(h: number, w: number): number {
  return (h % 2 === 0 ? 2 : 1) * (w % 2 === 0 ? 2 : 1);
}
