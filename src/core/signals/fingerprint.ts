/**
 * A fingerprint is every signal's value for one image. This module extracts one from a list of
 * signals and packs it into bytes for storage (Durable Object SQLite rows, the CLI's index file):
 * [u16 count] then per signal [u8 nameLen][name][u16 version][u32 len][bytes], little-endian.
 * Names and versions travel with the bytes so a reader can skip signals it does not know and refuse
 * values made by an older extractor.
 */
import type { RGBAImage } from '../image/types.ts';
import type { Fingerprint, Signal } from './signal.ts';

export async function extractFingerprint(signals: Signal[], img: RGBAImage): Promise<Fingerprint> {
  const fp: Fingerprint = {};
  for (const s of signals) fp[s.name] = await s.extract(img);
  return fp;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function packFingerprint(signals: Signal[], fp: Fingerprint): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 2;
  const present = signals.filter((s) => fp[s.name] !== undefined);
  for (const s of present) {
    const name = enc.encode(s.name);
    const body = s.serialize(fp[s.name]);
    const head = new Uint8Array(1 + name.length + 2 + 4);
    const v = new DataView(head.buffer);
    head[0] = name.length;
    head.set(name, 1);
    v.setUint16(1 + name.length, s.version, true);
    v.setUint32(3 + name.length, body.length, true);
    parts.push(head, body);
    total += head.length + body.length;
  }
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint16(0, present.length, true);
  let at = 2;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Unknown signals and values of another version are dropped: the caller re-extracts those. */
export function unpackFingerprint(signals: Signal[], bytes: Uint8Array): Fingerprint {
  const byName = new Map(signals.map((s) => [s.name, s]));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fp: Fingerprint = {};
  const count = v.getUint16(0, true);
  let at = 2;
  for (let i = 0; i < count; i++) {
    const n = bytes[at];
    const name = dec.decode(bytes.subarray(at + 1, at + 1 + n));
    const version = v.getUint16(at + 1 + n, true);
    const len = v.getUint32(at + 3 + n, true);
    const body = bytes.subarray(at + 7 + n, at + 7 + n + len);
    if (body.length !== len) throw new RangeError('fingerprint bytes are truncated');
    const s = byName.get(name);
    if (s && s.version === version) fp[name] = s.deserialize(body.slice());
    at += 7 + n + len;
  }
  return fp;
}
