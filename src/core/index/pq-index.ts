/**
 * In-memory index over product-quantized codes (FAISS "PQ16x8,RefineFlat"): hot memory holds m bytes
 * per vector; a query scans the codes with an ADC table (inner product, which ranks unit vectors as
 * cosine does) and re-ranks the best `refine * topK` exactly against the full vectors, which a
 * caller may keep elsewhere (the Durable Object's SQLite rows) and hand in through `fullVector`.
 */
import type { ProductQuantizer } from '../quant/pq.ts';
import {
  refineExact, TopK, toFloat32,
  type IndexInfo, type QueryOptions, type VectorIndex, type VectorMatch, type VectorRecord,
} from './vector-index.ts';
import { SlotTable } from './slots.ts';

export interface PQIndexOptions {
  /** Candidates re-ranked exactly per result wanted; 0 returns ADC scores as they are. */
  refine?: number;
  /** Where full vectors live; default: an in-memory map (the simplest cold store). */
  fullVector?: (id: string) => Float32Array | undefined;
}

export class PQIndex implements VectorIndex {
  private codes: Uint8Array;
  private table = new SlotTable();
  private full = new Map<string, Float32Array>();
  private readonly refine: number;
  private readonly fullVector: (id: string) => Float32Array | undefined;

  constructor(readonly pq: ProductQuantizer, opts: PQIndexOptions = {}) {
    this.codes = new Uint8Array(1024 * pq.m);
    this.refine = opts.refine ?? 4;
    this.fullVector = opts.fullVector ?? ((id) => this.full.get(id));
  }

  async describe(): Promise<IndexInfo> {
    const d = this.pq.describe() + (this.refine > 0 ? ',RefineFlat' : '');
    return { dimensions: this.pq.dim, metric: 'cosine', vectorCount: this.table.size, description: d };
  }

  /** Bytes of hot memory per vector (codes only; slots and ids are bookkeeping). */
  get bytesPerVector(): number {
    return this.pq.m;
  }

  async upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }> {
    for (const v of vectors) {
      const values = toFloat32(v.values);
      if (values.length !== this.pq.dim) throw new RangeError(`vector ${v.id} has ${values.length} dimensions; the index has ${this.pq.dim}`);
      const slot = this.table.assign(v.id, v.namespace, v.metadata);
      this.grow(slot + 1);
      this.pq.encode(values, this.codes.subarray(slot * this.pq.m, (slot + 1) * this.pq.m));
      if (this.refine > 0) this.full.set(v.id, values);
    }
    return { count: vectors.length, ids: vectors.map((v) => v.id) };
  }

  private grow(n: number): void {
    if (n * this.pq.m <= this.codes.length) return;
    const next = new Uint8Array(Math.max(n, this.table.size * 2) * this.pq.m);
    next.set(this.codes);
    this.codes = next;
  }

  async query(vector: Float32Array | number[], o: QueryOptions = {}): Promise<{ count: number; matches: VectorMatch[] }> {
    const q = toFloat32(vector);
    const topK = o.topK ?? 5;
    const scores = this.pq.scan(this.pq.distanceTable(q, 'ip'), this.codes, this.table.size);
    const approx = new TopK(this.refine > 0 ? topK * this.refine : topK);
    for (let i = 0; i < this.table.size; i++) {
      if (!this.table.accepts(i, o.namespace, o.filter)) continue;
      approx.push(i, scores[i]);
    }
    const final = this.refine > 0 ? this.rerank(q, approx, topK) : approx;
    const matches = final.ids.map((slot, k) => {
      const s = this.table.entry(slot);
      const m: VectorMatch = { id: s.id, score: final.scores[k], namespace: s.namespace };
      if (o.returnMetadata && o.returnMetadata !== 'none') m.metadata = s.metadata;
      if (o.returnValues) m.values = this.fullVector(s.id) ?? this.pq.decode(this.codes, slot);
      return m;
    });
    return { count: matches.length, matches };
  }

  private rerank(q: Float32Array, approx: TopK, topK: number): TopK {
    return refineExact(q, approx, topK, (slot) => this.fullVector(this.table.idAt(slot)));
  }


  async getByIds(ids: string[]): Promise<VectorRecord[]> {
    return this.table.records(ids, (slot, id) => this.fullVector(id) ?? this.pq.decode(this.codes, slot));
  }

  async deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }> {
    const m = this.pq.m;
    const done = ids.filter((id) => this.table.remove(id, (from, to) => this.codes.copyWithin(to * m, from * m, (from + 1) * m)));
    for (const id of done) this.full.delete(id);
    return { count: done.length, ids: done };
  }
}
