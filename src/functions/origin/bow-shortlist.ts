/**
 * The origin's crop-proof shortlist: one bag-of-words inverted index per namespace over the
 * stored references' ORB features (src/core/local/bow.ts). Global signals lose a source when the
 * query shows a small part of it; its local words still match, so the origin adds the best BoW
 * references to the candidates the edge sent and checks them geometrically too.
 */
import { bagOf, InvertedIndex, type BowHit, type LocalFeatures, type Vocabulary } from '../../core/local/index.ts';

export class BowShortlist {
  private readonly indexes = new Map<string, InvertedIndex>();

  constructor(readonly vocabulary: Vocabulary, readonly maxSignatureDistance: number | null = null) {}

  private index(namespace: string): InvertedIndex {
    let ix = this.indexes.get(namespace);
    if (!ix) this.indexes.set(namespace, (ix = new InvertedIndex(this.vocabulary.size)));
    return ix;
  }

  add(namespace: string, id: string, f: LocalFeatures): void {
    this.index(namespace).add(id, bagOf(this.vocabulary.quantize(f.descriptors), f.descriptors));
  }

  remove(namespace: string, id: string): void {
    this.indexes.get(namespace)?.remove(id);
  }

  get size(): number {
    let n = 0;
    for (const ix of this.indexes.values()) n += ix.size;
    return n;
  }

  /** The best `n` references by BoW score that are not in `exclude`. */
  search(namespace: string, f: LocalFeatures, n: number, exclude: ReadonlySet<string>): BowHit[] {
    const ix = this.indexes.get(namespace);
    if (!ix || n <= 0) return [];
    const bag = bagOf(this.vocabulary.quantize(f.descriptors), f.descriptors);
    return ix.search(bag, { topK: n + exclude.size, maxSignatureDistance: this.maxSignatureDistance }).filter((h) => !exclude.has(h.id)).slice(0, n);
  }
}
