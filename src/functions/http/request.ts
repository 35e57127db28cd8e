/**
 * Request parsing shared by the edge and the origin: ids, namespaces and image uploads are checked
 * the same way on both sides, so an id the edge accepts is one the origin can store.
 */
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import type { Metadata } from '../../core/index/vector-index.ts';
import { ApiError, errorResponse, toApiError } from './errors.ts';
import { requestIdOf, requestIds } from './request-id.ts';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NS_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A caller's namespace; the origin takes stored ones, which carry a tenant prefix (auth.ts). */
export const NAMESPACE_MAX = 64;
export const STORED_NAMESPACE_MAX = 100;
const MAX_METADATA_BYTES = 10_240;

export function validId(id: string): boolean {
  return ID_RE.test(id);
}

export function checkedId(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!ID_RE.test(id)) throw new ApiError(400, 'bad_id', 'id must be 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit');
  return id;
}

export function checkedNamespace(ns: string, max = NAMESPACE_MAX): string {
  if (!NS_RE.test(ns) || ns.length > max) throw new ApiError(400, 'bad_namespace', `namespace must be 1-${max} characters of A-Z a-z 0-9 . _ -`);
  return ns;
}

export function namespaceOf(c: Context, max = NAMESPACE_MAX): string {
  return checkedNamespace(c.req.query('namespace') ?? 'default', max);
}

export interface Upload {
  bytes: Uint8Array;
  metadata?: Metadata;
  /** The multipart form, when the body was one (for extra fields). */
  form?: FormData;
}

/** Reads the image (raw body or multipart `image` + `metadata`), refusing oversize bodies early. */
export async function readUpload(c: Context, maxBytes: number, field = 'image'): Promise<Upload> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes) throw new ApiError(413, 'too_large', `body is ${declared} bytes; the limit is ${maxBytes}`);
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) return readMultipart(c, maxBytes, field);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > maxBytes) throw new ApiError(413, 'too_large', `body is ${bytes.length} bytes; the limit is ${maxBytes}`);
  return { bytes };
}

export async function readForm(c: Context): Promise<FormData> {
  try {
    return await c.req.raw.formData();
  } catch {
    throw new ApiError(400, 'bad_multipart', 'the multipart body could not be parsed');
  }
}

/** The bytes of a file field, or null when the field is absent. */
export async function fileField(form: FormData, name: string, maxBytes: number): Promise<Uint8Array | null> {
  const v = form.get(name) as File | string | null;
  if (v === null) return null;
  if (typeof v === 'string') throw new ApiError(400, 'bad_multipart', `multipart field "${name}" must be a file`);
  const bytes = new Uint8Array(await v.arrayBuffer());
  if (bytes.length > maxBytes) throw new ApiError(413, 'too_large', `${name} is ${bytes.length} bytes; the limit is ${maxBytes}`);
  return bytes;
}

/** The text of a field (string or file), or null when absent. */
export async function textField(form: FormData, name: string): Promise<string | null> {
  const v = form.get(name) as File | string | null;
  if (v === null) return null;
  return typeof v === 'string' ? v : v.text();
}

async function readMultipart(c: Context, max: number, field: string): Promise<Upload> {
  const form = await readForm(c);
  const bytes = await fileField(form, field, max);
  if (!bytes) throw new ApiError(400, 'missing_image', `multipart body needs a file field named "${field}"`);
  const raw = await textField(form, 'metadata');
  return { bytes, form, metadata: raw === null ? undefined : parseMetadata(raw) };
}

export function parseMetadata(text: string): Metadata {
  if (text.length > MAX_METADATA_BYTES) throw new ApiError(400, 'bad_metadata', `metadata is over ${MAX_METADATA_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_metadata', 'metadata must be a JSON object');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'bad_metadata', 'metadata must be a JSON object');
  return v as Metadata;
}

/**
 * Request ids and logs, a body-size cap enforced while reading (hono's body-limit: a chunked body
 * cannot grow past it either), JSON errors for every failure and unknown route; 5xx are logged,
 * never leaked. `maxBody` gets the request's context because the edge reads its limit from env.
 */
export function installErrorHandlers(app: Hono<any>, service: string, maxBody: (c: Context) => number): void {
  app.use('*', ...requestIds(service));
  app.use('/v1/*', (c, next) =>
    bodyLimit({
      // Room for multipart framing and the small text fields beside the image.
      maxSize: maxBody(c) + 64 * 1024,
      onError: (ctx) => errorResponse(ctx, new ApiError(413, 'too_large', `body is over the ${maxBody(c)}-byte limit`)),
    })(c, next),
  );
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      return errorResponse(c, new ApiError(err.status as 400, 'bad_request', err.message || 'bad request'));
    }
    const api = toApiError(err);
    if (api.status >= 500) console.error(JSON.stringify({ level: 'error', requestId: requestIdOf(c), path: c.req.path, error: String(err) }));
    return errorResponse(c, api);
  });
  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));
}
