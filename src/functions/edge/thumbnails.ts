/**
 * Thumbnails for the review console, written at index time to R2 (binding THUMBS; wrangler dev
 * simulates it on disk). Best effort: the fingerprint is the index, a thumbnail is only a picture,
 * so a failure here is reported on the PUT, never fails it. No binding: thumbnails are off.
 */
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import jpegEncWasm from '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm';
import { makeThumbnail } from '../../core/image/thumbnail.ts';
import type { RGBAImage } from '../../core/image/types.ts';

export interface ThumbnailEnv { THUMBS?: R2Bucket }

let encoderReady: Promise<void> | null = null;

const keyOf = (namespace: string, id: string) => `thumbs/${namespace}/${id}.jpg`;

export type ThumbnailOutcome = { status: 'stored'; bytes: number; width: number; height: number } | { status: 'disabled' | 'failed'; reason: string };

export async function storeThumbnail(env: ThumbnailEnv, namespace: string, id: string, img: RGBAImage): Promise<ThumbnailOutcome> {
  if (!env.THUMBS) return { status: 'disabled', reason: 'no THUMBS bucket bound' };
  try {
    encoderReady ??= initJpegEncoder(jpegEncWasm as never);
    await encoderReady;
    const t = makeThumbnail(img);
    const data = new Uint8ClampedArray(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const jpeg = await encodeJpeg({ width: t.width, height: t.height, data, colorSpace: 'srgb' } as unknown as Parameters<typeof encodeJpeg>[0], { quality: 80 });
    await env.THUMBS.put(keyOf(namespace, id), jpeg, { httpMetadata: { contentType: 'image/jpeg' } });
    return { status: 'stored', bytes: jpeg.byteLength, width: t.width, height: t.height };
  } catch (err) {
    return { status: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }
}

export async function getThumbnail(env: ThumbnailEnv, namespace: string, id: string): Promise<R2ObjectBody | null> {
  return env.THUMBS ? env.THUMBS.get(keyOf(namespace, id)) : null;
}

export async function deleteThumbnail(env: ThumbnailEnv, namespace: string, id: string): Promise<void> {
  await env.THUMBS?.delete(keyOf(namespace, id));
}
