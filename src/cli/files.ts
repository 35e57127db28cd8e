import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

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
