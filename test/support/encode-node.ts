/** Node-side encoders for test fixtures (mozjpeg, libwebp, png through @jsquash). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import encodeJpeg, { init as initJpegEnc } from '@jsquash/jpeg/encode.js';
import encodePng, { init as initPngEnc } from '@jsquash/png/encode.js';
import encodeWebp, { init as initWebpEnc } from '@jsquash/webp/encode.js';
import type { RGBAImage } from '../../src/core/image/types.ts';

const require = createRequire(import.meta.url);
let ready: Promise<void> | null = null;

function wasm(spec: string): WebAssembly.Module {
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  return new Module(readFileSync(require.resolve(spec)));
}

function init(): Promise<void> {
  ready ??= (async () => {
    await initJpegEnc(wasm('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm') as never);
    await initPngEnc(wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'));
    await initWebpEnc(wasm('@jsquash/webp/codec/enc/webp_enc.wasm') as never);
  })();
  return ready;
}

type CodecImage = Parameters<typeof encodeJpeg>[0];

function imageData(img: RGBAImage): CodecImage {
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data), colorSpace: 'srgb' } as CodecImage;
}

export async function toJpeg(img: RGBAImage, quality = 90): Promise<Uint8Array> {
  await init();
  return new Uint8Array(await encodeJpeg(imageData(img), { quality }));
}

export async function toPng(img: RGBAImage): Promise<Uint8Array> {
  await init();
  return new Uint8Array(await encodePng(imageData(img)));
}

export async function toWebp(img: RGBAImage, quality = 75): Promise<Uint8Array> {
  await init();
  return new Uint8Array(await encodeWebp(imageData(img), { quality }));
}
