/**
 * The held-out check behind the BoW shortlist's settings: held-out training images are indexed as
 * references and searched with synthetic hard copies of half of them (a tight crop, or the picture
 * shrunk and pasted into another held-out image), for plain tf-idf and several Hamming-embedding
 * thresholds. Settings are chosen here, on training data, so that the benchmark stays unseen.
 */
import { resampleRegion, resizeArea } from '../core/image/resize.ts';
import type { RGBAImage } from '../core/image/types.ts';
import { bagOf, InvertedIndex, type BagOfWords } from '../core/local/bow.ts';
import { extractOrb } from '../core/local/orb.ts';
import type { Vocabulary } from '../core/local/vocab.ts';
import { Rng } from '../core/quant/rng.ts';
import { Progress } from './progress.ts';

/** Hamming-embedding thresholds tried (bits of 64); null is plain tf-idf. */
export const CHECKED_THRESHOLDS: (number | null)[] = [null, 12, 16, 20, 24];

export interface CheckResult {
  references: number;
  queries: { crop: number; paste: number };
  /** Per setting ("tfidf" or "he<t>"): share of queries whose source is in the top 1 / 10 / 50. */
  recall: Record<string, { crop: number[]; paste: number[] }>;
  quantizeAndSearchMsMedian: number;
}

export async function checkVocabulary(
  vocab: Vocabulary,
  heldOut: string[],
  nRefs: number,
  seed: number,
  load: (file: string) => Promise<RGBAImage | null>,
): Promise<CheckResult> {
  const rng = new Rng(seed + 1);
  const index = new InvertedIndex(vocab.size);
  const refImages: RGBAImage[] = [];
  const ids: string[] = [];
  let next = 0;
  const bar = new Progress('check', nRefs);
  while (refImages.length < nRefs && next < heldOut.length) {
    const img = await load(heldOut[next++]);
    if (!img) continue;
    const f = extractOrb(img);
    const id = `r${refImages.length}`;
    index.add(id, bagOf(vocab.quantize(f.descriptors), f.descriptors));
    refImages.push(img);
    ids.push(id);
    bar.tick();
  }
  bar.end();

  const kinds: ('crop' | 'paste')[] = [];
  const sources: string[] = [];
  const bags: BagOfWords[] = [];
  const ms: number[] = [];
  for (let i = 0; i < refImages.length / 2; i++) {
    let q: RGBAImage | null;
    if (i % 2 === 0) q = randomCrop(refImages[i], rng);
    else {
      const bg = await nextBackground(heldOut, () => next++, load);
      q = bg && pasteInto(refImages[i], bg, rng);
    }
    if (!q) continue;
    const f = extractOrb(q);
    const t0 = performance.now();
    const bag = bagOf(vocab.quantize(f.descriptors), f.descriptors);
    index.search(bag, { topK: 50, maxSignatureDistance: 16 });
    ms.push(performance.now() - t0);
    kinds.push(i % 2 === 0 ? 'crop' : 'paste');
    sources.push(ids[i]);
    bags.push(bag);
  }

  const recall: CheckResult['recall'] = {};
  for (const t of CHECKED_THRESHOLDS) {
    const found = { crop: [0, 0, 0], paste: [0, 0, 0] };
    bags.forEach((bag, j) => {
      const rank = index.search(bag, { topK: 50, maxSignatureDistance: t }).findIndex((h) => h.id === sources[j]);
      [1, 10, 50].forEach((n, k) => { if (rank >= 0 && rank < n) found[kinds[j]][k]++; });
    });
    const count = (k: 'crop' | 'paste') => kinds.filter((x) => x === k).length;
    recall[t === null ? 'tfidf' : `he${t}`] = {
      crop: found.crop.map((x) => Number((x / count('crop')).toFixed(3))),
      paste: found.paste.map((x) => Number((x / count('paste')).toFixed(3))),
    };
  }
  ms.sort((a, b) => a - b);
  return {
    references: refImages.length,
    queries: { crop: kinds.filter((k) => k === 'crop').length, paste: kinds.filter((k) => k === 'paste').length },
    recall,
    quantizeAndSearchMsMedian: Number(ms[ms.length >> 1].toFixed(2)),
  };
}

async function nextBackground(files: string[], take: () => number, load: (f: string) => Promise<RGBAImage | null>): Promise<RGBAImage | null> {
  for (let i = take(); i < files.length; i = take()) {
    const img = await load(files[i]);
    if (img) return img;
  }
  return null;
}

/** A crop keeping 20-40% of the area (the benchmark's hard tier starts below 50%), at native scale. */
function randomCrop(img: RGBAImage, rng: Rng): RGBAImage {
  const side = Math.sqrt(0.2 + 0.2 * rng.next());
  const w = Math.max(8, Math.round(img.width * side)), h = Math.max(8, Math.round(img.height * side));
  const x = rng.int(img.width - w + 1), y = rng.int(img.height - h + 1);
  return toImage(resampleRegion(img, { x, y, width: w, height: h }, w, h), w, h);
}

/** The picture shrunk to cover 30-60% of another's area and pasted at a random place in it. */
function pasteInto(src: RGBAImage, bg: RGBAImage, rng: Rng): RGBAImage {
  const cover = Math.sqrt(0.3 + 0.3 * rng.next());
  const s = Math.min((bg.width * cover) / src.width, (bg.height * cover) / src.height);
  const w = Math.max(8, Math.round(src.width * s)), h = Math.max(8, Math.round(src.height * s));
  const small = resizeArea(src, w, h);
  const out = { width: bg.width, height: bg.height, data: Uint8ClampedArray.from(bg.data) };
  const x0 = rng.int(bg.width - w + 1), y0 = rng.int(bg.height - h + 1);
  for (let y = 0; y < h; y++) out.data.set(small.data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * bg.width + x0) * 4);
  return out;
}

function toImage(f: Float32Array, width: number, height: number): RGBAImage {
  const data = new Uint8ClampedArray(f.length);
  for (let i = 0; i < f.length; i++) data[i] = Math.round(f[i]);
  return { width, height, data };
}
