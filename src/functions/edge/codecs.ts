/**
 * Workers adapter for the WASM codecs: wrangler imports each .wasm as a WebAssembly.Module
 * (compiling from bytes is forbidden in Workers) and we hand it to @jsquash's init() once per isolate.
 */
import { init as initJpeg } from '@jsquash/jpeg/decode.js';
import { init as initPng } from '@jsquash/png/decode.js';
import { init as initWebp } from '@jsquash/webp/decode.js';
import jpegWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
// @ts-ignore: wasm-bindgen ships a .d.ts for this file that describes its exports, not the module wrangler imports
import pngWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import webpWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';

let ready: Promise<void> | null = null;

export function initEdgeCodecs(): Promise<void> {
  ready ??= (async () => {
    await initJpeg(jpegWasm as never);
    await initPng(pngWasm);
    await initWebp(webpWasm as never);
  })();
  return ready;
}
