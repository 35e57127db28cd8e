/**
 * Inverted-file index over product-quantized residuals (FAISS "IVF<nlist>,PQ<m>x8,RefineFlat"):
 * a coarse k-means quantizer splits the space into nlist cells; each vector is stored in its
 * nearest cell as the PQ code of its residual (vector - centroid). A query scores the centroids,
 * scans only the nprobe best cells with one ADC table (inner product: q.(c + r) = q.c + q.r, so
 * the table does not depend on the cell), and re-ranks the best refine * topK exactly against the
 * full vectors, which may live in cold storage (`fullVector`). While the index is small
 * (`exhaustiveBelow`) every cell is scanned, as a plain PQ index would. Scanning a few percent of
 * the codes is what brings a million-vector query into milliseconds in plain JavaScript; adds and deletes
 * touch one cell, so there is no rebuild.
 */
import { kmeans } from '../quant/kmeans.ts';
import { ProductQuantizer, trainPQ } from '../quant/pq.ts';
import { SlotTable } from './slots.ts';
import {
  refineExact, TopK, toFloat32,
  type IndexInfo, type QueryOptions, type VectorIndex, type VectorMatch, type VectorRecord,
} from './vector-index.ts';

export interface IVFPQTrainOptions {
  nlist: number;
  m: number;
  nbits?: number;
  iters?: number;
  seed?: number;
  /**
   * Per-dimension scale of the space the cells are cut in (default: the vectors' own space). For
   * a whitened descriptor, sqrt(PCA eigenvalue) undoes the whitening for the coarse quantizer only:
   * whitening makes vectors nearly uniform on the sphere, which no partition handles well.
   */
  cellScale?: Float32Array;
}

export interface IVFPQOptions {
  /** Cells scanned per query (default 16). */
  nprobe?: number;
  /** Candidates re-ranked exactly per result wanted (default 10; 0 returns ADC scores). */
  refine?: number;
  /** Cold storage of the full vectors; default an in-memory map. */
  fullVector?: (id: string) => Float32Array | undefined;
  /**
   * While the index holds fewer vectors than this, a query scans every cell (default 20,000): a
   * small catalog then loses nothing to the inverted file and is searched as a plain PQ index is.
   */
  exhaustiveBelow?: number;
}

/** One cell's codes and the slots they belong to, grown by doubling. */
class Cell {
  codes: Uint8Array;
  slots = new Int32Array(16);
  size = 0;
  constructor(private readonly m: number) {
    this.codes = new Uint8Array(16 * m);
  }
  push(slot: number, code: Uint8Array): number {
    if (this.size === this.slots.length) {
      const s = new Int32Array(this.size * 2);
      s.set(this.slots);
      this.slots = s;
      const c = new Uint8Array(this.size * 2 * this.m);
      c.set(this.codes);
      this.codes = c;
    }
    this.slots[this.size] = slot;
    this.codes.set(code, this.size * this.m);
    return this.size++;
  }
  /** Removes entry `pos` by moving the last entry into it; returns the slot that moved (or -1). */
  removeAt(pos: number): number {
    const last = --this.size;
    if (pos === last) return -1;
    this.slots[pos] = this.slots[last];
    this.codes.copyWithin(pos * this.m, last * this.m, (last + 1) * this.m);
    return this.slots[pos];
  }
}

export class IVFPQIndex implements VectorIndex {
  readonly nlist: number;
  private readonly cells: Cell[];
  private readonly table = new SlotTable();
  /** Per slot: its cell and its position there. */
  private cellOf = new Int32Array(1024);
  private posOf = new Int32Array(1024);
  private readonly full = new Map<string, Float32Array>();
  private readonly fullVector: (id: string) => Float32Array | undefined;
  /** Full vectors live with the caller (cold storage), not in this index's map. */
  private readonly externalFull: boolean;
  nprobe: number;
  refine: number;
  exhaustiveBelow: number;

  /** Cell centroids in the (scaled) space cells are chosen in, their squared norms, and the scale. */
  private readonly cellCentroids: Float32Array;
  private readonly cellNorms: Float32Array;
  /** Per-dimension scale of the space cells are cut in (null: the vectors' own space). */
  readonly cellScale: Float32Array | null;

  /** `coarse`: centroids in the vectors' space (residuals and scores); `cellScale`: see IVFPQTrainOptions. */
  constructor(readonly dim: number, readonly coarse: Float32Array, readonly pq: ProductQuantizer, o: IVFPQOptions = {}, cellScale: Float32Array | null = null) {
    this.nlist = coarse.length / dim;
    this.cellScale = cellScale;
    this.cellCentroids = cellScale ? coarse.map((v, i) => v * cellScale[i % dim]) : coarse;
    this.cellNorms = new Float32Array(this.nlist);
    for (let c = 0; c < this.nlist; c++) {
      let n = 0;
      for (let t = 0; t < dim; t++) n += this.cellCentroids[c * dim + t] ** 2;
      this.cellNorms[c] = n;
    }
    if (!Number.isInteger(this.nlist) || this.nlist < 1) throw new RangeError('coarse centroids must be nlist * dim values');
    if (pq.dim !== dim) throw new RangeError(`PQ has ${pq.dim} dimensions, the index ${dim}`);
    this.cells = Array.from({ length: this.nlist }, () => new Cell(pq.m));
    this.nprobe = o.nprobe ?? 16;
    this.refine = o.refine ?? 10;
    this.exhaustiveBelow = o.exhaustiveBelow ?? 20_000;
    this.externalFull = o.fullVector !== undefined;
    this.fullVector = o.fullVector ?? ((id) => this.full.get(id));
  }

  /** Coarse quantizer by k-means on a sample, then PQ codebooks on that sample's residuals. */
  static train(sample: Float32Array, n: number, dim: number, t: IVFPQTrainOptions, o: IVFPQOptions = {}): IVFPQIndex {
    const s = t.cellScale;
    const scaled = s ? sample.map((v, i) => v * s[i % dim]) : sample;
    const cells = kmeans(scaled, n, dim, t.nlist, { iters: t.iters ?? 20, seed: t.seed ?? 1 });
    const coarse = s ? cells.map((v, i) => (s[i % dim] > 0 ? v / s[i % dim] : 0)) : cells;
    const residuals = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = nearestCell(cells, t.nlist, dim, scaled, i * dim);
      for (let k = 0; k < dim; k++) residuals[i * dim + k] = sample[i * dim + k] - coarse[c * dim + k];
    }
    const pq = trainPQ(residuals, n, dim, { m: t.m, nbits: t.nbits ?? 8, iters: t.iters ?? 20, seed: t.seed ?? 1 });
    return new IVFPQIndex(dim, coarse, pq, o, s ?? null);
  }

  /** The vector in the space cells are chosen in. */
  private cellSpace(v: Float32Array): Float32Array {
    const s = this.cellScale;
    return s ? v.map((x, i) => x * s[i]) : v;
  }

  get size(): number {
    return this.table.size;
  }

  /** Hot bytes per vector: its code and its cell entry (slot id) plus the slot's cell/position. */
  get bytesPerVector(): number {
    return this.pq.m + 4 + 8;
  }

  async describe(): Promise<IndexInfo> {
    const d = `IVF${this.nlist},${this.pq.describe()}${this.refine > 0 ? ',RefineFlat' : ''}`;
    return { dimensions: this.dim, metric: 'cosine', vectorCount: this.table.size, description: d };
  }

  async upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }> {
    const residual = new Float32Array(this.dim);
    const code = new Uint8Array(this.pq.m);
    for (const v of vectors) {
      const values = toFloat32(v.values);
      if (values.length !== this.dim) throw new RangeError(`vector ${v.id} has ${values.length} dimensions; the index has ${this.dim}`);
      if (this.table.slotOf(v.id) !== undefined) await this.deleteByIds([v.id]);
      const slot = this.table.assign(v.id, v.namespace, v.metadata);
      this.grow(slot + 1);
      const c = nearestCell(this.cellCentroids, this.nlist, this.dim, this.cellSpace(values), 0);
      for (let k = 0; k < this.dim; k++) residual[k] = values[k] - this.coarse[c * this.dim + k];
      this.pq.encode(residual, code);
      this.cellOf[slot] = c;
      this.posOf[slot] = this.cells[c].push(slot, code);
      if (this.refine > 0 && !this.externalFull) this.full.set(v.id, values);
    }
    return { count: vectors.length, ids: vectors.map((v) => v.id) };
  }

  private grow(n: number): void {
    if (n <= this.cellOf.length) return;
    const size = Math.max(n, this.cellOf.length * 2);
    const c = new Int32Array(size);
    c.set(this.cellOf);
    this.cellOf = c;
    const p = new Int32Array(size);
    p.set(this.posOf);
    this.posOf = p;
  }

  async query(vector: Float32Array | number[], o: QueryOptions = {}): Promise<{ count: number; matches: VectorMatch[] }> {
    const q = toFloat32(vector);
    const topK = o.topK ?? 5;
    const approx = this.scan(q, this.refine > 0 ? topK * this.refine : topK, o);
    const final = this.refine > 0 ? this.rerank(q, approx, topK) : approx;
    const matches = final.ids.map((slot, k) => {
      const s = this.table.entry(slot);
      const m: VectorMatch = { id: s.id, score: final.scores[k], namespace: s.namespace };
      if (o.returnMetadata && o.returnMetadata !== 'none') m.metadata = s.metadata;
      if (o.returnValues) m.values = this.fullVector(s.id) ?? this.decode(slot);
      return m;
    });
    return { count: matches.length, matches };
  }

  /** The cells a query scans: the nprobe nearest, or all of them while the index is small. */
  private probedCells(q: Float32Array): number[] {
    if (this.table.size < this.exhaustiveBelow) return Array.from({ length: this.nlist }, (_, c) => c);
    // By L2 in the cell space: -|c|^2 + 2 q.c ranks like -|q - c|^2.
    const qc = this.cellSpace(q);
    const cells = new TopK(Math.min(this.nprobe, this.nlist));
    for (let c = 0; c < this.nlist; c++) {
      let s = 0;
      for (let t = 0, b = c * this.dim; t < this.dim; t++) s += qc[t] * this.cellCentroids[b + t];
      cells.push(c, 2 * s - this.cellNorms[c]);
    }
    return cells.ids;
  }

  /** ADC scores over the probed cells: q.c of the cell plus the table sum of the code. */
  private scan(q: Float32Array, k: number, o: QueryOptions): TopK {
    const probed = this.probedCells(q);
    const lut = this.pq.distanceTable(q, 'ip');
    const { m, ksub } = this.pq;
    const top = new TopK(k);
    const filtered = o.namespace !== undefined || o.filter !== undefined;
    for (const c of probed) {
      const cell = this.cells[c];
      if (cell.size === 0) continue;
      let base = 0;
      for (let t = 0, b = c * this.dim; t < this.dim; t++) base += q[t] * this.coarse[b + t];
      const codes = cell.codes;
      for (let i = 0, p = 0; i < cell.size; i++, p += m) {
        let s = base;
        for (let j = 0, t = 0; j < m; j++, t += ksub) s += lut[t + codes[p + j]];
        if (s <= top.worst) continue;
        const slot = cell.slots[i];
        if (filtered && !this.table.accepts(slot, o.namespace, o.filter)) continue;
        top.push(slot, s);
      }
    }
    return top;
  }

  private rerank(q: Float32Array, approx: TopK, topK: number): TopK {
    return refineExact(q, approx, topK, (slot) => this.fullVector(this.table.idAt(slot)));
  }


  private decode(slot: number): Float32Array {
    const c = this.cellOf[slot];
    const cell = this.cells[c];
    const out = this.pq.decode(cell.codes, this.posOf[slot]);
    for (let k = 0; k < this.dim; k++) out[k] += this.coarse[c * this.dim + k];
    return out;
  }

  async getByIds(ids: string[]): Promise<VectorRecord[]> {
    return this.table.records(ids, (slot, id) => this.fullVector(id) ?? this.decode(slot));
  }

  async deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }> {
    const done: string[] = [];
    for (const id of ids) {
      const slot = this.table.slotOf(id);
      if (slot === undefined) continue;
      const moved = this.cells[this.cellOf[slot]].removeAt(this.posOf[slot]);
      if (moved >= 0) this.posOf[moved] = this.posOf[slot];
      // The slot table fills the hole with its last slot: follow it in the cell it lives in.
      this.table.remove(id, (from, to) => {
        this.cellOf[to] = this.cellOf[from];
        this.posOf[to] = this.posOf[from];
        this.cells[this.cellOf[to]].slots[this.posOf[to]] = to;
      });
      this.full.delete(id);
      done.push(id);
    }
    return { count: done.length, ids: done };
  }
}

/** The cell whose centroid is closest (L2) to the vector at v[offset..]. */
function nearestCell(coarse: Float32Array, nlist: number, dim: number, v: Float32Array, offset: number): number {
  let best = 0, bestD = Infinity;
  for (let c = 0; c < nlist; c++) {
    let d = 0;
    for (let t = 0, b = c * dim; t < dim; t++) {
      const x = v[offset + t] - coarse[b + t];
      d += x * x;
    }
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
