import { existsSync, readFileSync } from 'node:fs';
import { S1 } from '../support/fixtures.ts';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode.ts';
import { resampleRegion, resizeArea } from '../../src/core/image/resize.ts';
import type { RGBAImage } from '../../src/core/image/types.ts';
import { bagOf, InvertedIndex, type BagOfWords } from '../../src/core/local/bow.ts';
import { extractOrb } from '../../src/core/local/orb.ts';
import { trainVocabulary, Vocabulary } from '../../src/core/local/vocab.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';
import { syntheticImage } from '../support/synthetic.ts';

const SHIPPED = new URL('../../models/orb-vocab.bin', import.meta.url);

/** n descriptors scattered around `centre` with each bit flipped with probability p. */
function noisyCopies(centre: Uint8Array, n: number, p: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < 256; b++) {
      const bit = ((centre[b >> 3] >> (b & 7)) & 1) ^ (rng.next() < p ? 1 : 0);
      out[i * 32 + (b >> 3)] |= bit << (b & 7);
    }
  }
  return out;
}

function crop(img: RGBAImage, x: number, y: number, width: number, height: number): RGBAImage {
  const w = Math.round(width), h = Math.round(height);
  const f = resampleRegion(img, { x, y, width: w, height: h }, w, h);
  return { width: w, height: h, data: Uint8ClampedArray.from(f, (v) => Math.round(v)) };
}

describe('visual vocabulary (hierarchical k-majority)', () => {
  const descriptors = Uint8Array.from(
    [1, 2, 3, 4, 5, 6].flatMap((s) => Array.from(extractOrb(syntheticImage(s, 320, 240)).descriptors)),
  );

  it('recovers the bitwise-majority centres of well-separated clusters', () => {
    const rng = new Rng(5);
    const a = new Uint8Array(32).fill(0x0f);
    const b = new Uint8Array(32).fill(0xf0);
    const data = new Uint8Array(400 * 32);
    data.set(noisyCopies(a, 200, 0.1, rng), 0);
    data.set(noisyCopies(b, 200, 0.1, rng), 200 * 32);
    const v = trainVocabulary(data, { branching: 2, depth: 1, seed: 3 });
    const words = v.quantize(data);
    // Flipping 10% of bits i.i.d. keeps every bit's majority at the true centre's value.
    const centreOf = (w: number) => new Uint8Array(v.centers.buffer, w * 32, 32);
    expect([centreOf(words[0]), centreOf(words[399])]).toEqual([a, b]);
    expect(words.slice(0, 200).every((w) => w === words[0])).toBe(true);
    expect(words.slice(200).every((w) => w === words[399])).toBe(true);
    expect(words[0]).not.toBe(words[399]);
  });

  it('is deterministic and round-trips through its bytes', () => {
    const v1 = trainVocabulary(descriptors, { branching: 8, depth: 2, seed: 7 });
    const v2 = trainVocabulary(descriptors, { branching: 8, depth: 2, seed: 7 });
    expect(v1.toBytes()).toEqual(v2.toBytes());
    const words = v1.quantize(descriptors);
    expect(new Set(words).size).toBeGreaterThan(32);
    expect(Math.max(...words)).toBeLessThan(64);
    const back = Vocabulary.fromBytes(v1.toBytes());
    expect(back.describe()).toBe('HKMaj8^2 (64 words, Hamming k-majority tree)');
    expect(back.quantize(descriptors)).toEqual(words);
    expect(back.toBytes()).toEqual(v1.toBytes());
    expect(trainVocabulary(descriptors, { branching: 8, depth: 2, seed: 8 }).toBytes()).not.toEqual(v1.toBytes());
  });

  it('rejects a foreign or truncated blob', () => {
    const bytes = trainVocabulary(descriptors, { branching: 4, depth: 2 }).toBytes();
    expect(() => Vocabulary.fromBytes(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
    const foreign = bytes.slice();
    foreign[0] = 0x58;
    expect(() => Vocabulary.fromBytes(foreign)).toThrow(/magic/);
  });

  it.skipIf(!existsSync(SHIPPED))('the shipped vocabulary loads and spreads a whole image over many words', () => {
    const v = Vocabulary.fromBytes(new Uint8Array(readFileSync(SHIPPED)));
    expect(v.size).toBe(32768);
    const f = extractOrb(syntheticImage(9, 640, 480));
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) v.quantize(f.descriptors);
    const ms = (performance.now() - t0) / 5;
    console.log(`quantise ${f.count} descriptors: ${ms.toFixed(2)} ms`);
    // A whole-image bag uses many words: the tree does not collapse onto a few leaves.
    expect(new Set(v.quantize(f.descriptors)).size).toBeGreaterThan(f.count / 3);
  });
});

/** A bag from word ids, with signatures that equal the word (so Hamming embedding lets same-word pairs through). */
const bag = (...words: number[]): BagOfWords => ({ words: Uint32Array.from(words), signatures: Uint32Array.from(words.flatMap((w) => [w, w])) });

describe('tf-idf inverted index', () => {
  it('scores a reference against itself 1, ignores words every reference has, and prefers rare shared words', () => {
    const idx = new InvertedIndex(16);
    idx.add('a', bag(0, 1, 2, 3));
    idx.add('b', bag(0, 4, 5, 6));
    idx.add('c', bag(0, 7, 7, 8));
    idx.add('d', bag(0, 9, 9, 10));
    const self = idx.search(bag(0, 1, 2, 3));
    expect(self[0].id).toBe('a');
    expect(self[0].score).toBeCloseTo(1, 12);
    // Word 0 is in every reference (idf 0): sharing only it is no evidence at all.
    expect(idx.search(bag(0, 11))).toEqual([]);
    idx.add('e', bag(4, 12, 13, 14));
    // Word 1 is in one reference, word 4 in two: the rarer shared word is the stronger evidence.
    const hits = idx.search(bag(1, 4));
    expect(hits.map((h) => h.id)).toEqual(['a', 'b', 'e']);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it('removing a reference restores the other scores exactly and frees its id', () => {
    const idx = new InvertedIndex(16);
    idx.add('a', bag(1, 2, 3));
    idx.add('b', bag(2, 3, 4));
    idx.add('c', bag(5, 6));
    const before = idx.search(bag(2, 3, 4, 5));
    idx.add('x', bag(2, 4, 4, 9));
    expect(idx.search(bag(2, 3, 4, 5))).not.toEqual(before);
    expect(idx.remove('x')).toBe(true);
    expect(idx.remove('x')).toBe(false);
    expect(idx.search(bag(2, 3, 4, 5))).toEqual(before);
    expect(idx.size).toBe(3);
    // Re-adding an id replaces its bag.
    idx.add('c', bag(2, 3, 4));
    expect(idx.search(bag(5, 6)).map((h) => h.id)).toEqual([]);
  });

  it('Hamming embedding drops same-word pairs whose signatures are far apart', () => {
    const idx = new InvertedIndex(8);
    idx.add('near', { words: Uint32Array.of(1, 2), signatures: Uint32Array.of(0, 0, 0, 0) });
    idx.add('far', { words: Uint32Array.of(1, 3), signatures: Uint32Array.of(0xffff, 0xffff, 0, 0) });
    idx.add('other', { words: Uint32Array.of(4), signatures: Uint32Array.of(0, 0) });
    const q = { words: Uint32Array.of(1), signatures: Uint32Array.of(0b111, 0) };
    expect(idx.search(q).map((h) => h.id)).toEqual(['far', 'near']);
    expect(idx.search(q, { maxSignatureDistance: 3 }).map((h) => h.id)).toEqual(['near']);
    expect(idx.search(q, { maxSignatureDistance: 2 })).toEqual([]);
  });
});

async function rankOfSource(vocab: Vocabulary, refs: RGBAImage[], query: RGBAImage, source: number) {
  const idx = new InvertedIndex(vocab.size);
  refs.forEach((img, i) => {
    const f = extractOrb(img);
    idx.add(`r${i}`, bagOf(vocab.quantize(f.descriptors), f.descriptors));
  });
  const q = extractOrb(query);
  const hits = idx.search(bagOf(vocab.quantize(q.descriptors), q.descriptors), { topK: refs.length });
  return { rank: hits.findIndex((h) => h.id === `r${source}`), hits };
}

describe.skipIf(!existsSync(SHIPPED))('BoW shortlist with the shipped vocabulary', () => {
  const vocab = existsSync(SHIPPED) ? Vocabulary.fromBytes(new Uint8Array(readFileSync(SHIPPED))) : null;

  it('ranks the source of a 25%-area crop first among unrelated synthetic images', async () => {
    const refs = Array.from({ length: 16 }, (_, i) => syntheticImage(300 + i, 480, 360));
    const { rank, hits } = await rankOfSource(vocab!, refs, crop(refs[6], 200, 120, 240, 180), 6);
    expect(rank, JSON.stringify(hits.slice(0, 3))).toBe(0);
    expect(hits[0].score).toBeGreaterThan(1.5 * hits[1].score);
  });

  const BENCH = S1.replace(/\/$/, '');
  it.skipIf(!existsSync(`${BENCH}/refs/R00029.jpg`))('finds real photos from a crop and from a paste into another photo', async () => {
    await initNodeCodecs();
    const load = async (id: string) => decodeImage(new Uint8Array(readFileSync(`${BENCH}/refs/${id}.jpg`)));
    const refs = await Promise.all(Array.from({ length: 30 }, (_, i) => load(`R${String(i).padStart(5, '0')}`)));
    const src = refs[7];
    const cropped = crop(src, src.width * 0.4, src.height * 0.3, src.width * 0.45, src.height * 0.45);
    expect((await rankOfSource(vocab!, refs, cropped, 7)).rank).toBe(0);
    // refs[12] with refs[7] shrunk to 55% of its sides pasted into the lower right.
    const bg = refs[12];
    const w = Math.round(bg.width * 0.55), h = Math.round((w * src.height) / src.width);
    const small = resizeArea(src, w, h);
    const pasted = { width: bg.width, height: bg.height, data: Uint8ClampedArray.from(bg.data) };
    const x0 = bg.width - w - 5, y0 = Math.max(0, bg.height - h - 5);
    for (let y = 0; y < Math.min(h, bg.height); y++) pasted.data.set(small.data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * bg.width + x0) * 4);
    const { rank, hits } = await rankOfSource(vocab!, refs, pasted, 7);
    // The background photo is in the catalog too, so its source may rank first; the pasted one must be next.
    expect(rank, JSON.stringify(hits.slice(0, 3))).toBeLessThanOrEqual(1);
    expect(hits.slice(0, 2).map((x) => x.id).sort()).toEqual(['r12', 'r7']);
  });
});
