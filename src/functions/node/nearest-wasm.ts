/**
 * Node loads the SIMD matcher (src/core/local/wasm/nearest.wasm) by compiling the committed file;
 * the Worker imports the same file as a compiled module.
 */
import { readFileSync } from 'node:fs';
import { createWasmNearest, type NearestKernel } from '../../core/local/nearest.ts';

let kernel: Promise<NearestKernel> | null = null;

export function loadNearestKernel(): Promise<NearestKernel> {
  // Cast: the Workers type definitions declare WebAssembly.Module abstract; Node's is constructible.
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  kernel ??= createWasmNearest(new Module(readFileSync(new URL('../../core/local/wasm/nearest.wasm', import.meta.url))));
  return kernel;
}
