/**
 * The learned copy descriptor as served: the encoder's embedding, PCA-whitened and re-normalised
 * (whitening spreads the variance the network packed into a few directions, which sharpens cosine
 * ranking), scored with DISC21-style normalisation against a background set of training images:
 *   s'(q, r) = q.r - beta * q.t_k,   t_k = q's k-th nearest background descriptor,
 * so a query that resembles everything (sky, texture) must beat its own crowd before it scores.
 * The whitening, the PQ codebooks for the index and the background set ship together as a "pack"
 * built from ../shared/train by `copycat build-pack`.
 */
import { PCAModel } from '../quant/pca.ts';
import { ProductQuantizer } from '../quant/pq.ts';
import { ByteReader, ByteWriter } from '../quant/bytes.ts';
import type { RGBAImage } from '../image/types.ts';
import type { Signal } from './signal.ts';

export interface DescriptorPack {
  pca: PCAModel;
  pq: ProductQuantizer;
  /** n background descriptors (already whitened and unit length), row-major. */
  background: Float32Array;
  k: number;
  beta: number;
}

export interface DescriptorValue {
  /** Whitened, unit-length descriptor: what is indexed and compared. */
  v: Float32Array;
  /** v . t_k: the similarity to the k-th nearest background image. */
  bg: number;
}

const MAGIC = 'CCDP';
const VERSION = 1;

export function packToBytes(p: DescriptorPack): Uint8Array {
  const pca = p.pca.toBytes(), pq = p.pq.toBytes();
  // magic+version 5, k 4, beta 8, three lengths 12.
  const w = new ByteWriter(29 + pca.length + pq.length + p.background.length * 4);
  w.magic(MAGIC, VERSION).u32(p.k).f64(p.beta);
  w.u32(pca.length);
  for (const b of pca) w.u8(b);
  w.u32(pq.length);
  for (const b of pq) w.u8(b);
  w.u32(p.background.length / p.pca.outDim).f32s(p.background);
  return w.finish();
}

export function packFromBytes(bytes: Uint8Array): DescriptorPack {
  const r = new ByteReader(bytes);
  const version = r.magic(MAGIC);
  if (version !== VERSION) throw new Error(`descriptor pack version ${version} is not supported`);
  const k = r.u32(), beta = r.f64();
  const pca = PCAModel.fromBytes(readBlob(r));
  const pq = ProductQuantizer.fromBytes(readBlob(r));
  const n = r.u32();
  const background = r.f32s(n * pca.outDim);
  r.end();
  if (pq.dim !== pca.outDim) throw new Error(`pack PQ dim ${pq.dim} != PCA output ${pca.outDim}`);
  return { pca, pq, background, k, beta };
}

function readBlob(r: ByteReader): Uint8Array {
  const n = r.u32();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.u8();
  return out;
}

function dot(a: Float32Array, b: Float32Array, off = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[off + i];
  return s;
}

/** Similarity of v to its k-th most similar background descriptor. */
export function kthBackgroundSimilarity(v: Float32Array, background: Float32Array, k: number): number {
  const d = v.length, n = background.length / d;
  if (n === 0 || k < 1) return 0;
  const top = new Float32Array(Math.min(k, n)).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const s = dot(v, background, i * d);
    if (s <= top[top.length - 1]) continue;
    let j = top.length - 1;
    while (j > 0 && top[j - 1] < s) { top[j] = top[j - 1]; j--; }
    top[j] = s;
  }
  return top[top.length - 1];
}

export function whiten(pack: DescriptorPack, raw: Float32Array): Float32Array {
  return pack.pca.apply(raw, { normalize: true });
}

/** Wraps an embedding signal (the encoder) into the served descriptor signal. */
export function createDescriptorSignal(base: Signal<Float32Array>, pack: DescriptorPack): Signal<DescriptorValue> {
  const dim = pack.pca.outDim;
  return {
    name: base.name,
    version: base.version * 1000 + VERSION,
    index: { dimensions: dim, metric: 'cosine', quantizer: pack.pq },
    async extract(img: RGBAImage): Promise<DescriptorValue> {
      const v = whiten(pack, await base.extract(img));
      return { v, bg: kthBackgroundSimilarity(v, pack.background, pack.k) };
    },
    serialize(value: DescriptorValue): Uint8Array {
      const w = new ByteWriter(8 + dim * 4);
      return w.f32s(value.v).f64(value.bg).finish();
    },
    deserialize(bytes: Uint8Array): DescriptorValue {
      const r = new ByteReader(bytes);
      const v = r.f32s(dim);
      const bg = r.f64();
      r.end();
      return { v, bg };
    },
    /** Clamped at 0: below its background crowd a candidate is no evidence at all. */
    similarity(q: DescriptorValue, r: DescriptorValue): number {
      return Math.min(1, Math.max(0, dot(q.v, r.v) - pack.beta * q.bg));
    },
    toVector: (value) => value.v,
  };
}
