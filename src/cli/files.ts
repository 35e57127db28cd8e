import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { Rng } from '../core/quant/rng.ts';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Image files directly in a directory (sorted, so every run visits them in the same order). */
export function listImages(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`cannot read directory ${dir}`);
  }
  return names
    .filter((n) => IMAGE_EXT.has(extname(n).toLowerCase()))
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile())
    .sort();
}

/** Image files anywhere below a directory (training folders nest by collection). */
export function listImagesRecursive(dir: string): string[] {
  const subdirs = readdirSync(dir).sort().map((n) => join(dir, n)).filter((p) => statSync(p).isDirectory());
  return [...listImages(dir), ...subdirs.flatMap(listImagesRecursive)];
}

/** Ids are file names without their extension: the benchmark contract. */
export function idOf(path: string): string {
  return basename(path, extname(path));
}

/**
 * Every image below a training folder in a seeded shuffled order, refusing benchmark folders:
 * what a model learned from must never be what it is scored on. The generator is returned so a
 * caller's later draws continue the same stream (the shipped files rebuild byte for byte).
 */
export function shuffledTrainingImages(dir: string, seed: number, what: string): { files: string[]; rng: Rng } {
  if (/(^|\/)bench(\/|$)/.test(dir)) throw new Error(`refusing to learn ${what} from a benchmark folder`);
  const files = listImagesRecursive(dir);
  const rng = new Rng(seed);
  for (let i = files.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [files[i], files[j]] = [files[j], files[i]];
  }
  return { files, rng };
}
