/**
 * Full eigendecomposition of a real symmetric matrix, for PCA on covariance matrices.
 *
 * Householder tridiagonalization followed by implicit-shift QL (tred2 / tql2, the EISPACK routines
 * as published in JAMA, public domain). It costs about 3n^3 flops (~0.5 s at n = 512 in JS),
 * converges for every symmetric input, and yields an orthonormal basis even for repeated
 * eigenvalues, where power iteration with deflation stalls and Jacobi needs ~10x the work.
 */

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Row-major n x n; row i is the unit eigenvector for values[i]. */
  vectors: Float64Array;
}

/**
 * `matrix` is row-major n x n and must be symmetric (only symmetry is assumed, not checked).
 * Each eigenvector's sign is fixed so its largest-magnitude entry is positive, so the output does
 * not depend on rounding accidents and serialized models are reproducible.
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  if (matrix.length < n * n) throw new RangeError(`matrix has ${matrix.length} entries, need ${n * n}`);
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(matrix[i])) throw new RangeError('matrix has a non-finite entry');
  }
  const basis = matrix.slice(0, n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: basis };
  tred2(basis, d, e, n);
  tql2(basis, d, e, n);
  return sortAndOrient(d, basis, n);
}

/**
 * Householder reduction to tridiagonal form: diagonal in d, subdiagonal in e[1..n-1].
 * JAMA's tred2 with every V[a][b] read as U[b][a], so its inner loops, which walk V's columns, walk
 * U's rows in memory order (3x faster at n = 512), and the basis comes out as U's rows, the layout
 * tql2 wants. U starts as the input, which equals its transpose because it is symmetric.
 */
function tred2(U: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = U[j * n + (n - 1)];
  for (let i = n - 1; i > 0; i--) {
    // Scaling guards the Householder norm against under/overflow.
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = U[j * n + (i - 1)];
        U[j * n + i] = 0;
        U[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        U[i * n + j] = f;
        g = e[j] + U[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += U[j * n + k] * d[k];
          e[k] += U[j * n + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) U[j * n + k] -= f * e[k] + g * d[k];
        d[j] = U[j * n + (i - 1)];
        U[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the Householder reflections into U.
  for (let i = 0; i < n - 1; i++) {
    U[i * n + (n - 1)] = U[i * n + i];
    U[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = U[(i + 1) * n + k] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += U[(i + 1) * n + k] * U[j * n + k];
        for (let k = 0; k <= i; k++) U[j * n + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) U[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = U[j * n + (n - 1)];
    U[j * n + (n - 1)] = 0;
  }
  U[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e); W holds basis vectors as rows and is rotated along. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      // QL converges cubically; the cap only turns a pathological input into an error, not a hang.
      let iter = 0;
      do {
        if (++iter > 100) throw new Error('symmetricEigen: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const a = i * n;
          const b = a + n;
          for (let k = 0; k < n; k++) {
            const wb = W[b + k];
            const wa = W[a + k];
            W[b + k] = s * wa + c * wb;
            W[a + k] = c * wa - s * wb;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

function sortAndOrient(d: Float64Array, W: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a] || a - b);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const src = order[r] * n;
    values[r] = d[order[r]];
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(W[src + k]) > Math.abs(W[src + big])) big = k;
    const sign = W[src + big] < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[r * n + k] = sign * W[src + k];
  }
  return { values, vectors };
}
