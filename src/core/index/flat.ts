/**
 * Exact in-memory index: vectors packed in one growable Float32Array, scanned linearly. Right for
 * the small signals (256-d hash and histogram vectors) and as the ground truth the PQ index is
 * measured against. Deletes swap the last slot into the hole so the scan stays dense.
 */
import {
  TopK, toFloat32,
  type IndexInfo, type Metric, type QueryOptions, type VectorIndex, type VectorMatch, type VectorRecord,
} from './vector-index.ts';
import { SlotTable } from './slots.ts';

export class FlatIndex implements VectorIndex {
  private data: Float32Array;
  private table = new SlotTable();

  constructor(readonly dimensions: number, readonly metric: Metric = 'cosine', capacity = 1024) {
    this.data = new Float32Array(capacity * dimensions);
  }

  async describe(): Promise<IndexInfo> {
    return { dimensions: this.dimensions, metric: this.metric, vectorCount: this.table.size, description: 'Flat' };
  }

  async upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }> {
    for (const v of vectors) this.put(v);
    return { count: vectors.length, ids: vectors.map((v) => v.id) };
  }

  put(v: VectorRecord): void {
    const values = toFloat32(v.values);
    if (values.length !== this.dimensions) {
      throw new RangeError(`vector ${v.id} has ${values.length} dimensions; the index has ${this.dimensions}`);
    }
    const slot = this.table.assign(v.id, v.namespace, v.metadata);
    this.grow(slot + 1);
    this.data.set(values, slot * this.dimensions);
  }

  private grow(n: number): void {
    if (n * this.dimensions <= this.data.length) return;
    const next = new Float32Array(Math.max(n, this.table.size * 2) * this.dimensions);
    next.set(this.data);
    this.data = next;
  }

  score(query: Float32Array, slot: number): number {
    const d = this.dimensions, off = slot * d, x = this.data;
    if (this.metric === 'euclidean') {
      let s = 0;
      for (let j = 0; j < d; j++) { const t = query[j] - x[off + j]; s += t * t; }
      return -Math.sqrt(s);
    }
    let dot = 0, nx = 0;
    for (let j = 0; j < d; j++) { dot += query[j] * x[off + j]; nx += x[off + j] * x[off + j]; }
    if (this.metric === 'dot-product') return dot;
    let nq = 0;
    for (let j = 0; j < d; j++) nq += query[j] * query[j];
    return nq > 0 && nx > 0 ? dot / Math.sqrt(nq * nx) : 0;
  }

  async query(vector: Float32Array | number[], options: QueryOptions = {}): Promise<{ count: number; matches: VectorMatch[] }> {
    const q = toFloat32(vector);
    const top = new TopK(options.topK ?? 5);
    for (let i = 0; i < this.table.size; i++) {
      if (!this.table.accepts(i, options.namespace, options.filter)) continue;
      top.push(i, this.score(q, i));
    }
    const matches = top.ids.map((slot, k) => this.match(slot, top.scores[k], options));
    return { count: matches.length, matches };
  }

  private match(slot: number, score: number, o: QueryOptions): VectorMatch {
    const s = this.table.entry(slot);
    const m: VectorMatch = { id: s.id, score: this.metric === 'euclidean' ? -score : score, namespace: s.namespace };
    if (o.returnValues) m.values = this.values(slot);
    if (o.returnMetadata && o.returnMetadata !== 'none') m.metadata = s.metadata;
    return m;
  }

  private values(slot: number): Float32Array {
    return this.data.slice(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  async getByIds(ids: string[]): Promise<VectorRecord[]> {
    return this.table.records(ids, (slot) => this.values(slot));
  }

  async deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }> {
    const d = this.dimensions;
    const done = ids.filter((id) => this.table.remove(id, (from, to) => this.data.copyWithin(to * d, from * d, (from + 1) * d)));
    return { count: done.length, ids: done };
  }
}
