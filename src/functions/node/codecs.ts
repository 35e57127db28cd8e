/**
 * Node adapter for the WASM codecs: compiles each .wasm from disk once and hands the Module to
 * @jsquash's init(), the same way the Worker hands over its imported modules.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { init as initJpeg } from '@jsquash/jpeg/decode.js';
import { init as initPng } from '@jsquash/png/decode.js';
import { init as initWebp } from '@jsquash/webp/decode.js';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import type { JpegEncoder } from '../../core/image/thumbnail.ts';

const require = createRequire(import.meta.url);
let ready: Promise<void> | null = null;

function wasm(spec: string): WebAssembly.Module {
  // Cast: the Workers type definitions declare WebAssembly.Module abstract; Node's is constructible.
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  return new Module(readFileSync(require.resolve(spec)));
}

export function initNodeCodecs(): Promise<void> {
  ready ??= (async () => {
    await initJpeg(wasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm') as never);
    await initPng(wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'));
    await initWebp(wasm('@jsquash/webp/codec/dec/webp_dec.wasm') as never);
  })();
  return ready;
}

let encoderReady: Promise<void> | null = null;

/** The mozjpeg encoder (thumbnails), initialised on first use. */
export async function nodeJpegEncoder(): Promise<JpegEncoder> {
  encoderReady ??= initJpegEncoder(wasm('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm') as never);
  await encoderReady;
  return encodeJpeg as unknown as JpegEncoder;
}
