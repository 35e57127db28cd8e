/**
 * Product quantizer (Jegou et al. 2011; FAISS "PQ16x8"): the vector is cut into m sub-vectors of
 * dsub = dim / m values and each is replaced by the index of its nearest of ksub = 2^nbits centroids
 * learned for that subspace, so a vector costs m bytes. Search never decodes: a per-query table of
 * m * ksub sub-distances turns each stored code's distance into m table lookups (asymmetric distance
 * computation, ADC), which is what makes scanning millions of codes in a Worker affordable.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { kmeans, nearestCentroid } from './kmeans.ts';
import { deriveSeed } from './rng.ts';

export interface PQTrainOptions {
  /** Number of subquantizers (bytes per code); must divide dim. */
  m: number;
  /** Bits per subquantizer index, 1..8 (codes are one byte per subquantizer). Default 8. */
  nbits?: number;
  /** k-means iterations per subspace. Default 25. */
  iters?: number;
  /** Seed; subspace j trains with deriveSeed(seed, j). Default 1234. */
  seed?: number;
}

/** 'l2': table and scan give squared L2 (smaller = closer). 'ip': inner product (larger = closer). */
export type PQMetric = 'l2' | 'ip';

const MAGIC = 'CPQ_';
const VERSION = 1;

export class ProductQuantizer {
  readonly dsub: number;
  readonly ksub: number;

  constructor(
    readonly dim: number,
    readonly m: number,
    readonly nbits: number,
    /** Codebooks: m blocks of ksub centroids of dsub values, i.e. centroids[(j * ksub + c) * dsub + t]. */
    readonly centroids: Float32Array,
  ) {
    checkShape(dim, m, nbits);
    this.dsub = dim / m;
    this.ksub = 1 << nbits;
    if (centroids.length !== m * this.ksub * this.dsub) {
      throw new RangeError(`PQ codebooks need ${m * this.ksub * this.dsub} values, got ${centroids.length}`);
    }
  }

  /** Bytes per encoded vector. */
  get codeSize(): number {
    return this.m;
  }

  /** Encodes the vector at vec[offset..offset+dim) into m bytes (written to `out` if given). */
  encode(vec: Float32Array, out: Uint8Array = new Uint8Array(this.m), offset = 0): Uint8Array {
    const { m, ksub, dsub } = this;
    if (vec.length < offset + this.dim) throw new RangeError(`PQ input needs ${this.dim} values at offset ${offset}`);
    for (let j = 0; j < m; j++) {
      out[j] = nearestCentroid(vec, offset + j * dsub, this.centroids, j * ksub * dsub, ksub, dsub);
    }
    return out;
  }

  /** Encodes n row-major vectors into one packed array of n * m bytes. */
  encodeBatch(data: Float32Array, n: number): Uint8Array {
    const codes = new Uint8Array(n * this.m);
    for (let i = 0; i < n; i++) this.encode(data, codes.subarray(i * this.m, (i + 1) * this.m), i * this.dim);
    return codes;
  }

  /** Reconstruction of code i of a packed code array (i = 0 for a single code). */
  decode(codes: Uint8Array, i = 0, out: Float32Array = new Float32Array(this.dim)): Float32Array {
    const { m, ksub, dsub } = this;
    const base = i * m;
    if (codes.length < base + m) throw new RangeError(`no code ${i} in ${codes.length} bytes`);
    for (let j = 0; j < m; j++) {
      const src = (j * ksub + codes[base + j]) * dsub;
      for (let t = 0; t < dsub; t++) out[j * dsub + t] = this.centroids[src + t];
    }
    return out;
  }

  /** Decodes n packed codes into n * dim values. */
  decodeBatch(codes: Uint8Array, n: number): Float32Array {
    const out = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i++) this.decode(codes, i, out.subarray(i * this.dim, (i + 1) * this.dim));
    return out;
  }

  /**
   * Per-query lookup table, m * ksub entries: entry (j, c) is the squared L2 distance ('l2') or the
   * dot product ('ip') between the query's j-th sub-vector and centroid c of subspace j. Summing one
   * entry per subspace gives the exact distance from the (unquantized) query to the decoded code.
   */
  distanceTable(query: Float32Array, metric: PQMetric = 'l2'): Float32Array {
    const { m, ksub, dsub, centroids } = this;
    if (query.length < this.dim) throw new RangeError(`PQ query needs ${this.dim} values`);
    const table = new Float32Array(m * ksub);
    for (let j = 0; j < m; j++) {
      const q = j * dsub;
      for (let c = 0; c < ksub; c++) {
        const o = (j * ksub + c) * dsub;
        let s = 0;
        if (metric === 'l2') {
          for (let t = 0; t < dsub; t++) {
            const d = query[q + t] - centroids[o + t];
            s += d * d;
          }
        } else {
          for (let t = 0; t < dsub; t++) s += query[q + t] * centroids[o + t];
        }
        table[j * ksub + c] = s;
      }
    }
    return table;
  }

  /** ADC value (distance or inner product, per the table's metric) of code i in a packed array. */
  adc(table: Float32Array, codes: Uint8Array, i: number): number {
    const { m, ksub } = this;
    const base = i * m;
    let s = 0;
    for (let j = 0; j < m; j++) s += table[j * ksub + codes[base + j]];
    return s;
  }

  /**
   * ADC values for the first n codes of a packed array (default: all of it). Accumulates subspace
   * by subspace over all codes, so the inner loop reads one contiguous table slice instead of
   * hopping across all m slices per code.
   */
  scan(table: Float32Array, codes: Uint8Array, n = Math.floor(codes.length / this.m), out?: Float32Array): Float32Array {
    const { m, ksub } = this;
    if (codes.length < n * m) throw new RangeError(`scan of ${n} codes needs ${n * m} bytes, got ${codes.length}`);
    if (table.length !== m * ksub) throw new RangeError(`table must have m * ksub = ${m * ksub} entries`);
    const acc = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      const t = table.subarray(j * ksub, (j + 1) * ksub);
      for (let i = 0, p = j; i < n; i++, p += m) acc[i] += t[codes[p]];
    }
    const res = out ?? new Float32Array(n);
    for (let i = 0; i < n; i++) res[i] = acc[i];
    return res;
  }

  /** FAISS factory-string name, e.g. "PQ16x8". */
  describe(): string {
    return `PQ${this.m}x${this.nbits}`;
  }

  /** Little-endian blob: magic, version, dim, m, nbits, codebooks. */
  toBytes(): Uint8Array {
    return new ByteWriter(5 + 12 + 4 * this.centroids.length)
      .magic(MAGIC, VERSION)
      .u32(this.dim)
      .u32(this.m)
      .u32(this.nbits)
      .f32s(this.centroids)
      .finish();
  }

  static fromBytes(bytes: Uint8Array): ProductQuantizer {
    const r = new ByteReader(bytes);
    const version = r.magic(MAGIC);
    if (version !== VERSION) throw new Error(`unsupported PQ blob version ${version}`);
    const dim = r.u32();
    const m = r.u32();
    const nbits = r.u32();
    checkShape(dim, m, nbits);
    const centroids = r.f32s(m * (1 << nbits) * (dim / m));
    r.end();
    return new ProductQuantizer(dim, m, nbits, centroids);
  }
}

/**
 * Trains one k-means codebook per subspace on n row-major vectors. Needs n >= 2^nbits; FAISS
 * suggests ~40-256 training vectors per centroid, so subsample upstream for speed, not here.
 */
export function trainPQ(data: Float32Array, n: number, dim: number, opts: PQTrainOptions): ProductQuantizer {
  const { m, nbits = 8, iters = 25, seed = 1234 } = opts;
  checkShape(dim, m, nbits);
  if (data.length < n * dim) throw new RangeError(`data has ${data.length} values, need n * dim = ${n * dim}`);
  const dsub = dim / m;
  const ksub = 1 << nbits;
  const centroids = new Float32Array(m * ksub * dsub);
  const sub = new Float32Array(n * dsub);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dsub; t++) sub[i * dsub + t] = data[i * dim + j * dsub + t];
    }
    const book = kmeans(sub, n, dsub, ksub, { iters, seed: deriveSeed(seed, j) });
    centroids.set(book, j * ksub * dsub);
  }
  return new ProductQuantizer(dim, m, nbits, centroids);
}

function checkShape(dim: number, m: number, nbits: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(m) || m < 1 || dim % m !== 0) throw new RangeError(`m must be a positive divisor of dim ${dim}, got ${m}`);
  if (!Number.isInteger(nbits) || nbits < 1 || nbits > 8) throw new RangeError(`nbits must be an integer in 1..8, got ${nbits}`);
}
