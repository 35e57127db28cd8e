/**
 * The trained state of an IVF-PQ index as a model file (`models/copy-desc.ivf.bin`): the coarse
 * centroids, the scale cells are cut in and the residual PQ codebooks, so a shard starts from a
 * shipped quantizer instead of training at run time. The stored vectors are not part of it; a
 * loaded index is empty and filled by `upsert`. Little-endian (see quant/bytes.ts):
 *
 *   "CIVF" u8 version=1 | u32 dim | u32 nlist | u8 hasScale (0|1)
 *   | f32 coarse[nlist * dim] | f32 cellScale[dim] if hasScale | u32 n | PQ blob (CPQ_) of n bytes
 */
import { ByteReader, ByteWriter } from '../quant/bytes.ts';
import { ProductQuantizer } from '../quant/pq.ts';
import { IVFPQIndex, type IVFPQOptions } from './ivf-pq-index.ts';

const MAGIC = 'CIVF';
const VERSION = 1;

/** The index's trained state (not its vectors) as bytes. */
export function ivfpqToBytes(ix: IVFPQIndex): Uint8Array {
  const pq = ix.pq.toBytes();
  const scale = ix.cellScale;
  const size = 5 + 4 + 4 + 1 + 4 * ix.coarse.length + (scale ? 4 * ix.dim : 0) + 4 + pq.length;
  const w = new ByteWriter(size).magic(MAGIC, VERSION).u32(ix.dim).u32(ix.nlist).u8(scale ? 1 : 0).f32s(ix.coarse);
  if (scale) w.f32s(scale);
  return w.u32(pq.length).u8s(pq).finish();
}

/**
 * A fresh, empty index with the trained state in `bytes` and the given run-time options. Reads
 * through the view's own offset, so a Uint8Array into a shared buffer (Node's pooled small-file
 * reads, a slice of a larger blob) loads correctly. Throws on anything that is not a whole,
 * consistent CIVF v1 blob.
 */
export function ivfpqFromBytes(bytes: Uint8Array, o: IVFPQOptions = {}): IVFPQIndex {
  try {
    const r = new ByteReader(bytes);
    const version = r.magic(MAGIC);
    if (version !== VERSION) throw new Error(`version ${version} is not supported (expected ${VERSION})`);
    const dim = r.u32(), nlist = r.u32(), hasScale = r.u8();
    if (dim < 1 || nlist < 1) throw new Error(`dim ${dim} and nlist ${nlist} must be positive`);
    if (hasScale > 1) throw new Error(`bad cell-scale flag ${hasScale}`);
    const coarse = r.f32s(nlist * dim);
    const scale = hasScale ? r.f32s(dim) : null;
    const pq = ProductQuantizer.fromBytes(r.u8s(r.u32()));
    r.end();
    if (pq.dim !== dim) throw new Error(`PQ has ${pq.dim} dimensions, the coarse centroids ${dim}`);
    if (!coarse.every(Number.isFinite)) throw new Error('non-finite coarse centroid');
    if (scale && !scale.every((s) => Number.isFinite(s) && s >= 0)) throw new Error('cell scale must be finite and >= 0');
    return new IVFPQIndex(dim, coarse, pq, o, scale);
  } catch (e) {
    throw new Error(`invalid IVF-PQ model (${bytes.length} bytes): ${(e as Error).message}`, { cause: e });
  }
}
