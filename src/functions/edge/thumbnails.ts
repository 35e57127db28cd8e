/**
 * Thumbnails for the review console, written at index time to R2 (binding THUMBS; wrangler dev
 * simulates it on disk). Best effort: the fingerprint is the index, a thumbnail is only a picture,
 * so a failure here is reported on the PUT, never fails it. No binding: thumbnails are off.
 */
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import jpegEncWasm from '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm';
import { thumbnailJpeg, type JpegEncoder } from '../../core/image/thumbnail.ts';
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
    const t = await thumbnailJpeg(img, encodeJpeg as unknown as JpegEncoder);
    await putThumbnail(env.THUMBS, namespace, id, t.bytes);
    return { status: 'stored', bytes: t.bytes.length, width: t.width, height: t.height };
  } catch (err) {
    return { status: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }
}

/** A thumbnail the caller made (copycat upload sends them with a batch). */
export function putThumbnail(bucket: R2Bucket, namespace: string, id: string, jpeg: Uint8Array) {
  return bucket.put(keyOf(namespace, id), jpeg, { httpMetadata: { contentType: 'image/jpeg' } });
}

export async function getThumbnail(env: ThumbnailEnv, namespace: string, id: string): Promise<R2ObjectBody | null> {
  return env.THUMBS ? env.THUMBS.get(keyOf(namespace, id)) : null;
}

export async function deleteThumbnail(env: ThumbnailEnv, namespace: string, id: string): Promise<void> {
  await env.THUMBS?.delete(keyOf(namespace, id));
}
