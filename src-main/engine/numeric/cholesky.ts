/**
 * Float64 linear algebra the bounds need: log det of a symmetric positive-definite matrix by
 * Cholesky (the PPCA optimum only needs log det Σ, not its eigenvectors), and of small
 * Hermitian matrices (the c × c cross-channel spectra of the stationary method).
 */

export class SingularCovarianceError extends Error {
  constructor(
    message: string,
    /** Index of the first dimension whose variance is not explained away by the previous ones. */
    readonly index: number,
  ) {
    super(message);
    this.name = 'SingularCovarianceError';
  }
}

/**
 * log det A of a symmetric positive-definite n × n matrix (row-major, only the lower triangle
 * is read), by an in-place Cholesky factorisation of a copy: log det A = 2 Σ log L_ii.
 * Throws SingularCovarianceError, naming the dimension, when a pivot is not positive relative
 * to the matrix's scale (a constant pixel of continuous data, or a linear dependence).
 */
export function choleskyLogDet(matrix: Float64Array, n: number): number {
  if (matrix.length !== n * n) throw new Error(`choleskyLogDet: matrix has ${matrix.length} values, expected ${n}×${n}`);
  const a = Float64Array.from(matrix);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]!));
  // A pivot below this is indistinguishable from rounding noise of the larger entries.
  const tiny = maxDiag * n * Number.EPSILON;
  let logdet = 0;
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = a[rowJ + j]!;
    for (let k = 0; k < j; k++) diag -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(diag > tiny)) {
      throw new SingularCovarianceError(
        `covariance is singular at dimension ${j} (residual variance ${diag.toExponential(3)} after the previous dimensions; ` +
          `a constant value or an exact linear dependence): log det is -infinity`,
        j,
      );
    }
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    logdet += 2 * Math.log(ljj);
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
  }
  return logdet;
}

/**
 * log det of a c × c Hermitian positive-definite matrix given as separate real and imaginary
 * parts (row-major, lower triangle read), by complex Cholesky. Used per frequency, c ≤ 4.
 * Returns -Infinity when it is singular (callers decide whether that is an error).
 */
export function hermitianLogDet(re: ArrayLike<number>, im: ArrayLike<number>, c: number): number {
  const lr = new Float64Array(c * c);
  const li = new Float64Array(c * c);
  let maxDiag = 0;
  for (let i = 0; i < c; i++) maxDiag = Math.max(maxDiag, Math.abs(re[i * c + i]!));
  const tiny = maxDiag * c * Number.EPSILON;
  let logdet = 0;
  for (let j = 0; j < c; j++) {
    let diag = re[j * c + j]!;
    for (let k = 0; k < j; k++) diag -= lr[j * c + k]! ** 2 + li[j * c + k]! ** 2;
    if (!(diag > tiny)) return -Infinity;
    const ljj = Math.sqrt(diag);
    lr[j * c + j] = ljj;
    logdet += 2 * Math.log(ljj);
    for (let i = j + 1; i < c; i++) {
      // L_ij = (A_ij − Σ_k L_ik conj(L_jk)) / L_jj
      let sr = re[i * c + j]!;
      let si = im[i * c + j]!;
      for (let k = 0; k < j; k++) {
        const ar = lr[i * c + k]!;
        const ai = li[i * c + k]!;
        const br = lr[j * c + k]!;
        const bi = -li[j * c + k]!;
        sr -= ar * br - ai * bi;
        si -= ar * bi + ai * br;
      }
      lr[i * c + j] = sr / ljj;
      li[i * c + j] = si / ljj;
    }
  }
  return logdet;
}
