/**
 * Bag-of-visual-words retrieval over local features: an inverted index from each vocabulary word
 * to the reference keypoints quantised to it, scored by tf-idf cosine (Sivic & Zisserman 2003).
 * Unlike a global descriptor, a crop or a picture pasted into another keeps a good share of its
 * source's words, so the source still ranks high where global signals lose it.
 *
 * Each posting is one reference keypoint with a 64-bit signature (the first 64 rBRIEF tests of its
 * descriptor). With `maxSignatureDistance` set, a query keypoint votes for a posting only when the
 * signatures are close (Hamming embedding, Jégou et al. 2008): a small vocabulary puts many
 * unrelated keypoints in one word, and this check removes most of those chance votes for 8 bytes
 * per posting. Without it, the score is the plain tf-idf cosine: summing one vote per
 * (query keypoint, posting) pair in a word is exactly tf_q * tf_d.
 *
 * idf is ln(N / df) over the references currently indexed, so add and remove keep it exact; the
 * reference norms it implies are recomputed lazily on the next search after a change.
 */
import { asWords, popcount32, WORDS } from './hamming.ts';

export interface BowHit {
  id: string;
  /** tf-idf cosine in [0, 1] (1: same bag of words); lower with Hamming embedding. */
  score: number;
}

export interface BowSearchOptions {
  topK?: number;
  /** Hamming embedding: a pair votes only if its 64-bit signatures differ in at most this many bits (null: plain tf-idf). */
  maxSignatureDistance?: number | null;
}

/** Words and signatures of one image's keypoints. */
export interface BagOfWords {
  words: Uint32Array;
  /** Two 32-bit words per keypoint. */
  signatures: Uint32Array;
}

/** The bag of an image from its keypoints' words and descriptors. */
export function bagOf(words: Uint32Array, descriptors: Uint8Array): BagOfWords {
  const d = asWords(descriptors);
  const n = words.length;
  if (d.length !== n * WORDS) throw new RangeError(`${n} words for ${d.length / WORDS} descriptors`);
  const signatures = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    signatures[2 * i] = d[i * WORDS];
    signatures[2 * i + 1] = d[i * WORDS + 1];
  }
  return { words, signatures };
}

/** Posting lists of one word: reference slot and signature per keypoint, grown by doubling. */
class Postings {
  slots = new Int32Array(4);
  sigs = new Uint32Array(8);
  length = 0;

  push(slot: number, lo: number, hi: number): void {
    if (this.length === this.slots.length) {
      const slots = new Int32Array(2 * this.length);
      slots.set(this.slots);
      const sigs = new Uint32Array(4 * this.length);
      sigs.set(this.sigs);
      this.slots = slots;
      this.sigs = sigs;
    }
    this.slots[this.length] = slot;
    this.sigs[2 * this.length] = lo;
    this.sigs[2 * this.length + 1] = hi;
    this.length++;
  }

  removeSlot(slot: number): void {
    let k = 0;
    for (let j = 0; j < this.length; j++) {
      if (this.slots[j] === slot) continue;
      this.slots[k] = this.slots[j];
      this.sigs[2 * k] = this.sigs[2 * j];
      this.sigs[2 * k + 1] = this.sigs[2 * j + 1];
      k++;
    }
    this.length = k;
  }
}

export class InvertedIndex {
  private readonly postings: (Postings | undefined)[];
  /** References containing each word at least once. */
  private readonly df: Int32Array;
  private ids: (string | null)[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  /** Per slot: the distinct words and their counts, for norms and removal. */
  private bags: ({ words: Uint32Array; counts: Uint32Array } | null)[] = [];
  private norms = new Float64Array(0);
  private dirty = true;

  constructor(readonly vocabularySize: number) {
    this.postings = new Array(vocabularySize);
    this.df = new Int32Array(vocabularySize);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Indexes (or replaces) a reference's bag of words. */
  add(id: string, bag: BagOfWords): void {
    this.remove(id);
    const slot = this.freeSlots.pop() ?? this.ids.length;
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    for (let i = 0; i < bag.words.length; i++) {
      const w = bag.words[i];
      if (w >= this.vocabularySize) throw new RangeError(`word ${w} outside a vocabulary of ${this.vocabularySize}`);
      (this.postings[w] ??= new Postings()).push(slot, bag.signatures[2 * i], bag.signatures[2 * i + 1]);
    }
    const counted = countWords(bag.words);
    for (const w of counted.words) this.df[w]++;
    this.bags[slot] = counted;
    this.dirty = true;
  }

  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const bag = this.bags[slot]!;
    for (const w of bag.words) {
      this.postings[w]!.removeSlot(slot);
      this.df[w]--;
    }
    this.bags[slot] = null;
    this.ids[slot] = null;
    this.slotOf.delete(id);
    this.freeSlots.push(slot);
    this.dirty = true;
    return true;
  }

  idf(word: number): number {
    const df = this.df[word];
    return df > 0 ? Math.log(this.size / df) : 0;
  }

  /** References ranked by score, best first (ties by id); references sharing no word are left out. */
  search(query: BagOfWords, opts: BowSearchOptions = {}): BowHit[] {
    const topK = opts.topK ?? 10;
    const maxDist = opts.maxSignatureDistance ?? null;
    if (this.dirty) this.refreshNorms();
    const q = countWords(query.words);
    let qNorm = 0;
    for (let j = 0; j < q.words.length; j++) qNorm += (q.counts[j] * this.idf(q.words[j])) ** 2;
    if (!(qNorm > 0)) return [];
    const scores = new Float64Array(this.ids.length);
    for (let i = 0; i < query.words.length; i++) {
      const w = query.words[i];
      const p = this.postings[w];
      if (!p || !p.length) continue;
      const idf = this.idf(w);
      const weight = idf * idf;
      if (weight === 0) continue;
      if (maxDist === null) {
        for (let j = 0; j < p.length; j++) scores[p.slots[j]] += weight;
        continue;
      }
      const lo = query.signatures[2 * i], hi = query.signatures[2 * i + 1];
      for (let j = 0; j < p.length; j++) {
        if (popcount32(lo ^ p.sigs[2 * j]) + popcount32(hi ^ p.sigs[2 * j + 1]) <= maxDist) scores[p.slots[j]] += weight;
      }
    }
    const hits: BowHit[] = [];
    const inv = 1 / Math.sqrt(qNorm);
    for (let s = 0; s < scores.length; s++) {
      const id = this.ids[s];
      if (scores[s] > 0 && id !== null && this.norms[s] > 0) hits.push({ id, score: Math.min(1, scores[s] * inv / this.norms[s]) });
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return hits.slice(0, topK);
  }

  private refreshNorms(): void {
    this.norms = new Float64Array(this.ids.length);
    this.bags.forEach((bag, slot) => {
      if (!bag) return;
      let s = 0;
      for (let j = 0; j < bag.words.length; j++) s += (bag.counts[j] * this.idf(bag.words[j])) ** 2;
      this.norms[slot] = Math.sqrt(s);
    });
    this.dirty = false;
  }
}

/** Distinct words (ascending) and how often each occurs. */
function countWords(words: Uint32Array): { words: Uint32Array; counts: Uint32Array } {
  const sorted = Uint32Array.from(words).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const out = { words: new Uint32Array(distinct), counts: new Uint32Array(distinct) };
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) out.words[++k] = sorted[i];
    out.counts[k]++;
  }
  return out;
}
