/**
 * The one image representation that crosses module boundaries in core: 8-bit RGBA, row-major,
 * the same layout as the web platform's ImageData, so @jsquash output is used without a copy.
 */
export interface RGBAImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** Single-channel float plane (luma, a histogram-equalised gray, a resized channel...). */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** A client-side mistake about the image itself: the HTTP layer maps it to a 4xx. */
export class ImageInputError extends Error {
  constructor(
    readonly code:
      | 'empty'
      | 'unsupported_type'
      | 'truncated'
      | 'corrupt'
      | 'too_many_pixels'
      | 'too_large',
    message: string,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}
