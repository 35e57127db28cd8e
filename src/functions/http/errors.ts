/** Every error leaves the edge and the origin as `{error: {code, message}}` with a 4xx for the client's mistakes. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ImageInputError } from '../../core/image/types.ts';
import { requestIdOf } from './request-id.ts';

export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly code: string, message: string) {
    super(message);
  }
}

const IMAGE_STATUS: Record<ImageInputError['code'], ContentfulStatusCode> = {
  empty: 400,
  unsupported_type: 415,
  truncated: 422,
  corrupt: 422,
  too_many_pixels: 413,
  too_large: 413,
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ImageInputError) return new ApiError(IMAGE_STATUS[err.code], err.code, err.message);
  return new ApiError(500, 'internal', 'internal error');
}

export function errorResponse(c: Context, err: ApiError): Response {
  const requestId = requestIdOf(c);
  return c.json({ error: { code: err.code, message: err.message, ...(requestId ? { requestId } : {}) } }, err.status);
}
