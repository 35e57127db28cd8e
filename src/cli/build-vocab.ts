/**
 * `copycat build-vocab`: learns the visual vocabulary of the BoW shortlist from training images
 * only (never a benchmark), then measures it on held-out training images with synthetic crops and
 * paste-ins (vocab-check.ts), which is where the shortlist's settings are chosen. Deterministic
 * given --seed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeImage } from '../core/image/decode.ts';
import type { RGBAImage } from '../core/image/types.ts';
import { extractOrb } from '../core/local/orb.ts';
import { trainVocabulary } from '../core/local/vocab.ts';
import { Rng } from '../core/quant/rng.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { shuffledTrainingImages } from './files.ts';
import { Progress } from './progress.ts';
import { checkVocabulary } from './vocab-check.ts';

export interface VocabBuildOptions {
  images: string;
  out: string;
  /** Training images (the rest of the shuffled list is held out for the check). */
  limit: number;
  /** Descriptors kept for training at most (a seeded sample of all extracted). */
  maxDescriptors: number;
  branching: number;
  depth: number;
  seed: number;
  /** Held-out images used as references in the check (0: no check). */
  check: number;
}

export async function buildVocab(o: VocabBuildOptions): Promise<Record<string, unknown>> {
  const { files, rng } = shuffledTrainingImages(o.images, o.seed, 'a vocabulary');
  await initNodeCodecs();
  const train = files.slice(0, o.limit);
  const heldOut = files.slice(o.limit);

  const chunks: Uint8Array[] = [];
  let total = 0;
  const bar = new Progress('orb  ', train.length);
  for (const f of train) {
    const img = await load(f);
    if (img) {
      const d = extractOrb(img).descriptors;
      chunks.push(d);
      total += d.length / 32;
    }
    bar.tick();
  }
  bar.end();
  const sample = sampleDescriptors(chunks, total, o.maxDescriptors, rng);

  const t0 = Date.now();
  process.stderr.write(`training a ${o.branching}^${o.depth} vocabulary on ${sample.length / 32} of ${total} descriptors\n`);
  const vocab = trainVocabulary(sample, { branching: o.branching, depth: o.depth, seed: o.seed });
  const trainSeconds = (Date.now() - t0) / 1000;
  const bytes = vocab.toBytes();
  writeFileSync(o.out, bytes);
  const check = o.check > 0 ? await checkVocabulary(vocab, heldOut, o.check, o.seed, load) : undefined;
  return {
    out: o.out, vocabulary: vocab.describe(), images: chunks.length, descriptors: total, trainedOn: sample.length / 32,
    bytes: bytes.length, trainSeconds, check,
  };
}

async function load(file: string): Promise<RGBAImage | null> {
  try {
    return await decodeImage(new Uint8Array(readFileSync(file)));
  } catch {
    return null; // an unreadable training image is skipped
  }
}

/** All descriptors, or a seeded uniform sample of `max` of them (partial Fisher-Yates over indices). */
function sampleDescriptors(chunks: Uint8Array[], total: number, max: number, rng: Rng): Uint8Array {
  const all = new Uint8Array(total * 32);
  let off = 0;
  for (const c of chunks) { all.set(c, off); off += c.length; }
  if (total <= max) return all;
  const idx = Int32Array.from({ length: total }, (_, i) => i);
  const out = new Uint8Array(max * 32);
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(total - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
    out.set(all.subarray(idx[i] * 32, idx[i] * 32 + 32), i * 32);
  }
  return out;
}
