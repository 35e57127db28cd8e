/**
 * The exact search under brute-force matching: for every query descriptor its nearest and
 * second-nearest train descriptor, and for every train descriptor its nearest query (for the mutual
 * check), in one pass over the distance matrix. Two interchangeable kernels: plain JS (16-bit
 * popcount table), and WebAssembly SIMD (i8x16.popcnt, several times faster), which the runtime
 * glue instantiates from the module it may load: Workers import a compiled module, Node compiles
 * the file. Both give identical results, ties included (lowest index wins on both sides).
 */
import { distancesTo } from './hamming.ts';

export interface Nearest {
  /** Per query: index of the nearest train descriptor (-1 when there is none), its distance, the runner-up's. */
  best: Int32Array;
  d1: Int32Array | Float64Array;
  d2: Int32Array | Float64Array;
  /** Per train descriptor: the nearest query (-1 when none) and that distance. */
  colBest: Int32Array;
  colD: Int32Array | Float64Array;
}

/** Query and train descriptors as 32-bit words, 8 per descriptor. */
export type NearestKernel = (query: Uint32Array, train: Uint32Array) => Nearest;

/**
 * The exact search over any distance, one query row at a time (`fillRow(i, row)` writes the
 * distances of query i to every train descriptor): one pass yields both directions without
 * storing the matrix.
 */
export function nearestByRows<R extends Uint16Array | Float32Array>(nq: number, row: R, fillRow: (i: number, row: R) => void): Nearest {
  const nt = row.length;
  const best = new Int32Array(nq).fill(-1);
  const d1 = new Float64Array(nq).fill(Infinity);
  const d2 = new Float64Array(nq).fill(Infinity);
  // Ties go to the lower index on both sides.
  const colBest = new Int32Array(nt).fill(-1);
  const colD = new Float64Array(nt).fill(Infinity);
  for (let i = 0; i < nq; i++) {
    let b1 = Infinity;
    let b2 = Infinity;
    let bi = -1;
    fillRow(i, row);
    for (let j = 0; j < nt; j++) {
      const d = row[j];
      if (d < b1) {
        b2 = b1;
        b1 = d;
        bi = j;
      } else if (d < b2) b2 = d;
      if (d < colD[j]) {
        colD[j] = d;
        colBest[j] = i;
      }
    }
    best[i] = bi;
    d1[i] = b1;
    d2[i] = b2;
  }
  return { best, d1, d2, colBest, colD };
}

/** Binary descriptors in plain JS (the fallback where the WASM module is not loaded). */
export const nearestJs: NearestKernel = (a, b) => nearestByRows(a.length >> 3, new Uint16Array(b.length >> 3), (i, row) => distancesTo(a, i, b, row));

/** Descriptors per side the WASM module's fixed memory layout holds (see wasm/nearest.wat). */
export const WASM_MAX_DESCRIPTORS = 2048;
const TRAIN = 65536, BEST = 131072, D1 = 139264, D2 = 147456, COL_BEST = 155648, COL_D = 163840;

interface NearestExports {
  memory: WebAssembly.Memory;
  nearest(nq: number, nt: number): void;
}

/** The SIMD kernel over an instance of wasm/nearest.wasm; falls back to JS for oversize inputs. */
export async function createWasmNearest(module: WebAssembly.Module): Promise<NearestKernel> {
  const inst = (await WebAssembly.instantiate(module, {})) as WebAssembly.Instance;
  const ex = inst.exports as unknown as NearestExports;
  return (a, b) => {
    const nq = a.length >> 3;
    const nt = b.length >> 3;
    if (nq > WASM_MAX_DESCRIPTORS || nt > WASM_MAX_DESCRIPTORS) return nearestJs(a, b);
    const mem = new Uint32Array(ex.memory.buffer);
    mem.set(a, 0);
    mem.set(b, TRAIN >> 2);
    ex.nearest(nq, nt);
    const view = (offset: number, n: number) => new Int32Array(ex.memory.buffer, offset, n).slice();
    return { best: view(BEST, nq), d1: view(D1, nq), d2: view(D2, nq), colBest: view(COL_BEST, nt), colD: view(COL_D, nt) };
  };
}
