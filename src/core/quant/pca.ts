/**
 * PCA (optionally whitened) as a learned linear pre-transform, FAISS's "PCA128" / "PCAW128".
 * It shortens embeddings before product quantization so fewer bytes per code carry the same
 * information, and whitening equalizes component scales, which improves copy-detection descriptors
 * (the DISC21 / SSCD recipe whitens then L2-normalizes).
 *
 * Training is covariance + full symmetric eigendecomposition; at dim 512 that is a few seconds at
 * most, dominated by the n * dim^2 / 2 covariance accumulation.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { symmetricEigen } from './eigen.ts';

export interface PCATrainOptions {
  /** Number of leading components kept, 1..dim. */
  outDim: number;
  /** Divide each component by sqrt(eigenvalue + eps) so training data has unit variance per axis. */
  whiten?: boolean;
  /**
   * Added to eigenvalues before whitening so near-null directions are not blown up into noise.
   * Default 1e-6 times the largest eigenvalue (relative, so it works for any feature scale).
   */
  eps?: number;
}

export interface PCAApplyOptions {
  /** L2-normalize the output, as done after whitening for cosine / inner-product search. */
  normalize?: boolean;
  /** Destination of length outDim, to avoid an allocation per vector. */
  out?: Float32Array;
}

const MAGIC = 'CPCA';
const VERSION = 1;

export class PCAModel {
  /**
   * 1 / sqrt(eigenvalue + eps) when whitening, else 1; derived, so never serialized. A direction with
   * zero variance and eps = 0 gets 0: it carries nothing, and infinity would poison every output.
   */
  private readonly scale: Float32Array;

  constructor(
    readonly dim: number,
    readonly outDim: number,
    readonly whiten: boolean,
    /** The eps actually used (resolved from the default at training). */
    readonly eps: number,
    /** Training mean, length dim. */
    readonly mean: Float32Array,
    /** Row-major outDim x dim; row k is the k-th principal axis (unit length). */
    readonly components: Float32Array,
    /** Variance of the training data along each kept axis, descending, length outDim. */
    readonly eigenvalues: Float32Array,
  ) {
    if (mean.length !== dim || components.length !== outDim * dim || eigenvalues.length !== outDim) {
      throw new RangeError('PCAModel: array lengths do not match dim / outDim');
    }
    this.scale = new Float32Array(outDim);
    for (let k = 0; k < outDim; k++) {
      const v = Math.max(eigenvalues[k], 0) + eps;
      this.scale[k] = !whiten ? 1 : v > 0 ? 1 / Math.sqrt(v) : 0;
    }
  }

  /** Projects one vector of length dim (read from `offset`) to outDim values. */
  apply(vec: Float32Array, opts: PCAApplyOptions = {}, offset = 0): Float32Array {
    const { dim, outDim, mean, components, scale } = this;
    if (vec.length < offset + dim) throw new RangeError(`PCA input needs ${dim} values at offset ${offset}`);
    const out = opts.out ?? new Float32Array(outDim);
    let norm2 = 0;
    for (let k = 0; k < outDim; k++) {
      const row = k * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += components[row + j] * (vec[offset + j] - mean[j]);
      const y = s * scale[k];
      out[k] = y;
      norm2 += y * y;
    }
    if (opts.normalize && norm2 > 0) {
      const inv = 1 / Math.sqrt(norm2);
      for (let k = 0; k < outDim; k++) out[k] *= inv;
    }
    return out;
  }

  /** Projects n row-major vectors; returns n * outDim values. */
  applyBatch(data: Float32Array, n: number, opts: { normalize?: boolean } = {}): Float32Array {
    const out = new Float32Array(n * this.outDim);
    for (let i = 0; i < n; i++) {
      this.apply(data, { normalize: opts.normalize, out: out.subarray(i * this.outDim, (i + 1) * this.outDim) }, i * this.dim);
    }
    return out;
  }

  /** FAISS factory-string name: "PCA128" or, whitened, "PCAW128". */
  describe(): string {
    return `PCA${this.whiten ? 'W' : ''}${this.outDim}`;
  }

  /** Little-endian blob: magic, version, flags, dim, outDim, eps, mean, eigenvalues, components. */
  toBytes(): Uint8Array {
    const size = 5 + 1 + 4 + 4 + 8 + 4 * (this.dim + this.outDim + this.outDim * this.dim);
    return new ByteWriter(size)
      .magic(MAGIC, VERSION)
      .u8(this.whiten ? 1 : 0)
      .u32(this.dim)
      .u32(this.outDim)
      .f64(this.eps)
      .f32s(this.mean)
      .f32s(this.eigenvalues)
      .f32s(this.components)
      .finish();
  }

  static fromBytes(bytes: Uint8Array): PCAModel {
    const r = new ByteReader(bytes);
    const version = r.magic(MAGIC);
    if (version !== VERSION) throw new Error(`unsupported PCA blob version ${version}`);
    const whiten = r.u8() === 1;
    const dim = r.u32();
    const outDim = r.u32();
    const eps = r.f64();
    const mean = r.f32s(dim);
    const eigenvalues = r.f32s(outDim);
    const components = r.f32s(outDim * dim);
    r.end();
    return new PCAModel(dim, outDim, whiten, eps, mean, components, eigenvalues);
  }
}

/** Learns a PCA from n row-major vectors of length dim. Needs n >= 2. */
export function trainPCA(data: Float32Array, n: number, dim: number, opts: PCATrainOptions): PCAModel {
  const { outDim, whiten = false } = opts;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(outDim) || outDim < 1 || outDim > dim) {
    throw new RangeError(`outDim must be an integer in 1..${dim}, got ${outDim}`);
  }
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`PCA needs at least 2 training vectors, got ${n}`);
  if (data.length < n * dim) throw new RangeError(`data has ${data.length} values, need n * dim = ${n * dim}`);

  const mean = columnMean(data, n, dim);
  const cov = covariance(data, n, dim, mean);
  const { values, vectors } = symmetricEigen(cov, dim);

  const eigenvalues = new Float32Array(outDim);
  // Rounding can make null directions slightly negative; a variance is never below zero.
  for (let k = 0; k < outDim; k++) eigenvalues[k] = Math.max(values[k], 0);
  const components = Float32Array.from(vectors.subarray(0, outDim * dim));
  const eps = opts.eps ?? 1e-6 * Math.max(values[0], 0);
  if (!(eps >= 0)) throw new RangeError(`eps must be >= 0, got ${eps}`);
  return new PCAModel(dim, outDim, whiten, eps, Float32Array.from(mean), components, eigenvalues);
}

/** The brief's free-function spelling of model.apply(vec, opts). */
export function pcaApply(model: PCAModel, vec: Float32Array, opts: PCAApplyOptions = {}): Float32Array {
  return model.apply(vec, opts);
}

function columnMean(data: Float32Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) mean[j] += data[row + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  return mean;
}

/**
 * Population covariance (divides by n, so whitened training data has exactly unit variance).
 * Accumulates the upper triangle in float64 from centered copies of the rows, then mirrors it;
 * centering first avoids the cancellation of E[xx] - mean^2 on features with a large offset.
 * Rows go four at a time so the dim^2 accumulator (2 MB at dim 512, beyond L2) is streamed through
 * a quarter as often; that is about 2x faster than row by row.
 */
function covariance(data: Float32Array, n: number, dim: number, mean: Float64Array): Float64Array {
  const cov = new Float64Array(dim * dim);
  const x0 = new Float64Array(dim);
  const x1 = new Float64Array(dim);
  const x2 = new Float64Array(dim);
  const x3 = new Float64Array(dim);
  const rows = [x0, x1, x2, x3];
  for (let i = 0; i < n; i += 4) {
    for (let r = 0; r < 4; r++) {
      const x = rows[r];
      // A short last block is padded with zero rows, which add nothing.
      if (i + r >= n) x.fill(0);
      else for (let j = 0, o = (i + r) * dim; j < dim; j++) x[j] = data[o + j] - mean[j];
    }
    for (let a = 0; a < dim; a++) {
      const a0 = x0[a];
      const a1 = x1[a];
      const a2 = x2[a];
      const a3 = x3[a];
      const o = a * dim;
      for (let b = a; b < dim; b++) cov[o + b] += a0 * x0[b] + a1 * x1[b] + a2 * x2[b] + a3 * x3[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / n;
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return cov;
}
