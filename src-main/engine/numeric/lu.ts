/**
 * Small dense linear algebra in float64 on the host, for what tfjs lacks (no det, slogdet or
 * inv: tfjs issue 8173): inverting the invertible convolution's weight for sampling, and
 * independent log-determinants in checks and tests. Matrices are row-major Float64Arrays.
 */

/** LU factorisation with partial pivoting: PA = LU, packed in one matrix (unit L below the diagonal). */
export interface LuFactors {
  n: number;
  /** L strictly below the diagonal (unit diagonal implied), U on and above it. */
  lu: Float64Array;
  /** Row i of the factored matrix is row perm[i] of A. */
  perm: Int32Array;
  /** Determinant sign of P (±1). */
  parity: number;
}

function checkSquare(a: ArrayLike<number>, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: matrix size must be a positive integer, got ${n}`);
  if (a.length !== n * n) throw new Error(`${what}: expected ${n}×${n} = ${n * n} entries, got ${a.length}`);
}

export function luFactor(a: ArrayLike<number>, n: number): LuFactors {
  checkSquare(a, n, 'luFactor');
  const lu = Float64Array.from(a);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let parity = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    let best = Math.abs(lu[col * n + col]!);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(lu[r * n + col]!);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const t = lu[col * n + c]!;
        lu[col * n + c] = lu[pivot * n + c]!;
        lu[pivot * n + c] = t;
      }
      const t = perm[col]!;
      perm[col] = perm[pivot]!;
      perm[pivot] = t;
      parity = -parity;
    }
    const p = lu[col * n + col]!;
    if (p === 0) continue; // singular: U has a zero on the diagonal
    for (let r = col + 1; r < n; r++) {
      const f = lu[r * n + col]! / p;
      lu[r * n + col] = f;
      if (f === 0) continue;
      for (let c = col + 1; c < n; c++) lu[r * n + c] = lu[r * n + c]! - f * lu[col * n + c]!;
    }
  }
  return { n, lu, perm, parity };
}

/** log|det A| and sign(det A) (sign 0 and −Infinity when singular). */
export function slogdet(a: ArrayLike<number>, n: number): { sign: number; logAbsDet: number } {
  const { lu, parity } = luFactor(a, n);
  let sign = parity;
  let logAbsDet = 0;
  for (let i = 0; i < n; i++) {
    const d = lu[i * n + i]!;
    if (d === 0) return { sign: 0, logAbsDet: -Infinity };
    if (d < 0) sign = -sign;
    logAbsDet += Math.log(Math.abs(d));
  }
  return { sign, logAbsDet };
}

/** A⁻¹ by LU with partial pivoting; throws when A is singular to working precision. */
export function inverse(a: ArrayLike<number>, n: number): Float64Array {
  const { lu, perm } = luFactor(a, n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(lu[i * n + i]!));
  for (let i = 0; i < n; i++) {
    if (Math.abs(lu[i * n + i]!) <= maxDiag * n * Number.EPSILON) {
      throw new Error(`inverse: the ${n}×${n} matrix is singular to float64 precision (pivot ${i} is ${lu[i * n + i]})`);
    }
  }
  const out = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // Solve A x = e_j: forward substitution with the permuted unit vector, then back substitution.
    for (let i = 0; i < n; i++) {
      let s = perm[i] === j ? 1 : 0;
      for (let k = 0; k < i; k++) s -= lu[i * n + k]! * col[k]!;
      col[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = col[i]!;
      for (let k = i + 1; k < n; k++) s -= lu[i * n + k]! * col[k]!;
      col[i] = s / lu[i * n + i]!;
    }
    for (let i = 0; i < n; i++) out[i * n + j] = col[i]!;
  }
  return out;
}

/** C = A·B for A [m×k], B [k×n]. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  if (a.length !== m * k || b.length !== k * n) throw new Error(`matmul: shapes ${m}×${k} and ${k}×${n} do not match the data`);
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p]!;
      if (v === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + v * b[p * n + j]!;
    }
  }
  return c;
}
