// The WASM SIMD matcher against the JS one: same nearest neighbours, ties and all; and the
// committed .wasm is what its .wat source compiles to.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { asWords } from '../../src/core/local/hamming.ts';
import { matchBruteForce } from '../../src/core/local/match.ts';
import { nearestJs, WASM_MAX_DESCRIPTORS, type Nearest } from '../../src/core/local/nearest.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import { loadNearestKernel } from '../../src/functions/node/nearest-wasm.ts';
import { ROOT } from '../../src/cli/devserver.ts';

function descriptors(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const d = new Uint8Array(n * 32);
  for (let i = 0; i < d.length; i++) d[i] = rng.int(256);
  return d;
}

/** `base` with `flips` random bits flipped per descriptor: near neighbours, as real matches are. */
function perturbed(base: Uint8Array, flips: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const d = base.slice();
  for (let i = 0; i < d.length / 32; i++) for (let k = 0; k < flips; k++) d[i * 32 + rng.int(32)] ^= 1 << rng.int(8);
  return d;
}

function plain(n: Nearest) {
  return { best: Array.from(n.best), d1: Array.from(n.d1), d2: Array.from(n.d2), colBest: Array.from(n.colBest), colD: Array.from(n.colD) };
}

describe('nearest-neighbour kernels', () => {
  it('WASM SIMD and JS agree exactly, ties included', async () => {
    const wasm = await loadNearestKernel();
    const a = descriptors(300, 1);
    const b = new Uint8Array([...perturbed(a.subarray(0, 200 * 32), 20, 2), ...descriptors(150, 3)]);
    // Duplicates on both sides force ties, which must go to the lower index in both kernels.
    b.set(b.subarray(0, 32), 32 * 7);
    a.set(a.subarray(32, 64), 32 * 9);
    const js = plain(nearestJs(asWords(a), asWords(b)));
    const simd = plain(wasm(asWords(a), asWords(b)));
    expect(simd).toEqual(js);
    expect(js.best.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(js.d1.slice(0, 200).filter((d) => d <= 20).length).toBeGreaterThanOrEqual(198);
  });

  it('gives the same matches through matchBruteForce, and handles empty and oversize sets', async () => {
    const kernel = await loadNearestKernel();
    const a = descriptors(500, 4);
    const b = perturbed(a, 30, 5);
    expect(matchBruteForce(a, b, { kernel })).toEqual(matchBruteForce(a, b));
    expect(matchBruteForce(a, b, { kernel }).count).toBeGreaterThan(400);
    expect(matchBruteForce(new Uint8Array(0), b, { kernel }).count).toBe(0);
    expect(matchBruteForce(a, new Uint8Array(0), { kernel }).count).toBe(0);
    const big = descriptors(WASM_MAX_DESCRIPTORS + 1, 6);
    expect(plain(kernel(asWords(big), asWords(b)))).toEqual(plain(nearestJs(asWords(big), asWords(b))));
  });

  it('ships a nearest.wasm that is exactly its .wat source compiled', () => {
    expect(() => execFileSync(process.execPath, [`${ROOT}scripts/build-wasm.mjs`, '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
