/**
 * Compact storage of a reference's local features, so the origin check reads them instead of
 * re-extracting: per keypoint the position in units of `unit` original pixels (u16 each; a quarter
 * pixel unless the image is over 16k pixels wide), orientation in 1/256 turns (u8), pyramid level
 * (u8) and the 32-byte descriptor: 38 bytes, about 19 KB for 500 keypoints. Scale comes from a
 * per-level table in the header; the Harris response is not kept (verification does not use it).
 */
import { ByteReader, ByteWriter } from '../quant/bytes.ts';
import type { LocalFeatures } from './orb.ts';

const MAGIC = 'CCLF';
const VERSION = 1;
const LEVELS = 16;
const HEADER = 5 + 4 * 4 + 8 * 2 + 8 * LEVELS;
const PER_POINT = 2 + 2 + 1 + 1 + 32;

export function localFeaturesBytes(count: number): number {
  return HEADER + count * PER_POINT;
}

export function serializeLocalFeatures(f: LocalFeatures): Uint8Array {
  const side = Math.max(f.width, f.height);
  const unit = side * 4 <= 65535 ? 0.25 : Math.ceil(side / 65535);
  const w = new ByteWriter(localFeaturesBytes(f.count)).magic(MAGIC, VERSION);
  w.u32(f.count).u32(f.width).u32(f.height).u32(0).f64(f.workScale).f64(unit);
  for (const sc of levelScales(f)) w.f64(sc);
  const bytes = new Uint8Array(f.count * PER_POINT);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < f.count; i++) {
    const o = i * PER_POINT;
    view.setUint16(o, Math.min(65535, Math.round(f.x[i] / unit)), true);
    view.setUint16(o + 2, Math.min(65535, Math.round(f.y[i] / unit)), true);
    bytes[o + 4] = Math.round(((f.angle[i] / (2 * Math.PI)) % 1 + 1) * 256) & 255;
    bytes[o + 5] = f.level[i];
    bytes.set(f.descriptors.subarray(i * 32, (i + 1) * 32), o + 6);
  }
  for (const b of bytes) w.u8(b);
  return w.finish();
}

export function deserializeLocalFeatures(bytes: Uint8Array): LocalFeatures {
  const r = new ByteReader(bytes);
  if (r.magic(MAGIC) !== VERSION) throw new Error('local features: unknown format version');
  const count = r.u32(), width = r.u32(), height = r.u32();
  r.u32();
  const workScale = r.f64(), unit = r.f64();
  const scales = Array.from({ length: LEVELS }, () => r.f64());
  const f: LocalFeatures = {
    count, width, height, workScale,
    x: new Float32Array(count), y: new Float32Array(count), angle: new Float32Array(count),
    level: new Uint8Array(count), scale: new Float32Array(count), response: new Float32Array(count),
    descriptors: new Uint8Array(count * 32),
  };
  const body = new Uint8Array(count * PER_POINT);
  for (let i = 0; i < body.length; i++) body[i] = r.u8();
  r.end();
  const view = new DataView(body.buffer);
  for (let i = 0; i < count; i++) {
    const o = i * PER_POINT;
    f.x[i] = view.getUint16(o, true) * unit;
    f.y[i] = view.getUint16(o + 2, true) * unit;
    f.angle[i] = (body[o + 4] / 256) * 2 * Math.PI;
    f.level[i] = body[o + 5];
    f.scale[i] = scales[Math.min(f.level[i], LEVELS - 1)];
    f.descriptors.set(body.subarray(o + 6, o + 38), i * 32);
  }
  return f;
}

/** The scale of each pyramid level, read off any keypoint found on it. */
function levelScales(f: LocalFeatures): number[] {
  const out = new Array(LEVELS).fill(0);
  for (let i = 0; i < f.count; i++) if (f.level[i] < LEVELS) out[f.level[i]] = f.scale[i];
  return out;
}
