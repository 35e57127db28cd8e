/**
 * One vector-store interface, shaped like Cloudflare Vectorize (upsert, query, getByIds,
 * deleteByIds, describe), the way FAISS keeps every index behind add/search. The in-memory flat and
 * PQ indexes and the Vectorize adapter all implement it, so the catalog never knows which it holds.
 */
export type Metric = 'cosine' | 'euclidean' | 'dot-product';
export type Metadata = Record<string, unknown>;

export interface VectorRecord {
  id: string;
  values: Float32Array | number[];
  namespace?: string;
  metadata?: Metadata;
}

export interface QueryOptions {
  topK?: number;
  namespace?: string;
  /** Equality filter on metadata fields, as Vectorize's simplest filter form. */
  filter?: Metadata;
  returnValues?: boolean;
  returnMetadata?: boolean | 'all' | 'none';
}

export interface VectorMatch {
  id: string;
  /** Higher is closer for cosine and dot-product; for euclidean, Vectorize returns the distance. */
  score: number;
  namespace?: string;
  values?: Float32Array;
  metadata?: Metadata;
}

export interface IndexInfo {
  dimensions: number;
  metric: Metric;
  vectorCount: number;
  /** FAISS-style factory string saying what was built, e.g. "Flat" or "PQ16x8,RefineFlat". */
  description: string;
}

export interface VectorIndex {
  describe(): Promise<IndexInfo>;
  upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }>;
  query(vector: Float32Array | number[], options?: QueryOptions): Promise<{ count: number; matches: VectorMatch[] }>;
  getByIds(ids: string[]): Promise<VectorRecord[]>;
  deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }>;
}

export function matchesFilter(meta: Metadata | undefined, filter: Metadata | undefined): boolean {
  if (!filter) return true;
  for (const [k, v] of Object.entries(filter)) {
    if (!meta || meta[k] !== v) return false;
  }
  return true;
}

/** Keeps the best `k` (id, score) pairs with a bounded sorted insert: k is small (<= 100). */
export class TopK {
  readonly ids: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly k: number) {}
  get worst(): number {
    return this.ids.length < this.k ? -Infinity : this.scores[this.scores.length - 1];
  }
  push(id: number, score: number): void {
    if (this.k <= 0 || score <= this.worst) return;
    let i = this.scores.length;
    while (i > 0 && this.scores[i - 1] < score) i--;
    this.ids.splice(i, 0, id);
    this.scores.splice(i, 0, score);
    if (this.ids.length > this.k) {
      this.ids.pop();
      this.scores.pop();
    }
  }
}

export function toFloat32(v: Float32Array | number[]): Float32Array {
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/**
 * Exact cosine re-ranking of approximate candidates (FAISS's RefineFlat): the PQ and IVF-PQ
 * indexes shortlist by ADC, then score the shortlist against the full vectors, wherever those live.
 */
export function refineExact(q: Float32Array, approx: TopK, topK: number, vectorOf: (slot: number) => Float32Array | undefined): TopK {
  const exact = new TopK(topK);
  let nq = 0;
  for (let j = 0; j < q.length; j++) nq += q[j] * q[j];
  for (const slot of approx.ids) {
    const v = vectorOf(slot);
    if (!v) continue;
    let dot = 0, nv = 0;
    for (let j = 0; j < q.length; j++) { dot += q[j] * v[j]; nv += v[j] * v[j]; }
    exact.push(slot, nq > 0 && nv > 0 ? dot / Math.sqrt(nq * nv) : 0);
  }
  return exact;
}
