/**
 * The deep-embedding signal: any ONNX image encoder described by a JSON file in models/ (see
 * models/README.md). Core stays runtime-free: the model runs behind an injected OnnxRunner, which
 * src/functions/node/onnx.ts (Node) and src/functions/edge/onnx.ts (Workers) implement with
 * onnxruntime-web.
 *
 * extract: optional centre crop(s) -> resize per the config -> scale, mean/std -> NCHW float32 ->
 * runner -> L2 normalise. With `multiCrop` several centre crops are embedded, each normalised,
 * averaged and renormalised (full image + centre 0.75 catches both padded and cropped copies).
 *
 * similarity = max(cosine, 0). Unrelated images embed near-orthogonal, and a negative cosine is no
 * more "unrelated" than zero, so clamping keeps 0 = unrelated, 1 = identical, the scale the other
 * signals and fusion use. (cos+1)/2 would park every unrelated pair near 0.5 and squeeze the useful
 * range into the top half; the clamp also equals the cosine score a Vectorize 'cosine' index
 * returns for every pair that matters, so the shortlist score and the re-rank agree.
 */
import type { RGBAImage } from '../image/types.ts';
import { centerRegion, resampleRegion, type Region } from '../image/resize.ts';
import type { Signal } from './signal.ts';

export type ResizeMode = 'squash' | 'shorter-side-then-center-crop' | 'letterbox';

export interface EncoderInputSpec {
  /** Name of the model's image input. */
  name: string;
  /** Model input size as [height, width]. */
  size: [number, number];
  layout: 'NCHW';
  /**
   * squash: the whole image stretched to size; shorter-side-then-center-crop: scale so the image
   * covers size, keep the centre (CLIP/ImageNet style); letterbox: scale to fit inside size, pad the
   * rest with the mean colour (0 after normalisation).
   */
  resize: ResizeMode;
  /** Centre-crop fraction of each side applied before resizing, in (0, 1]; default 1. */
  crop?: number;
  /** Per-channel mean and std, in the units after `scale`: x = (pixel * scale - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Multiplier from 0..255 pixel values, typically 1/255. */
  scale: number;
  colorSpace: 'RGB';
}

export interface EncoderOutputSpec {
  /** Name of the embedding output. */
  name: string;
  /** Embedding length. */
  dim: number;
  /** 'l2': the signal normalises the model output; 'none': used as is (already unit length). */
  normalize: 'l2' | 'none';
}

export interface EncoderConfig {
  /** Short identifier, e.g. 'clip-vit-b32'. */
  name: string;
  /** ONNX file name, relative to the config's folder (models/). */
  file: string;
  /** Optional sha256 (hex) of the ONNX file, for adapters that verify it. */
  sha256?: string;
  /** Bump when the model or preprocessing changes; becomes the signal's version. Default 1. */
  version?: number;
  input: EncoderInputSpec;
  output: EncoderOutputSpec;
  /** Centre-crop fractions embedded and averaged, e.g. [1, 0.75]; absent = one view at input.crop. */
  multiCrop?: number[];
  /** Descriptor pack (PCA-whitening, PQ codebooks, background set) beside the model; see descriptor.ts. */
  pack?: string;
  description: string;
  licence: string;
  source: string;
}

/** The one operation core needs from an ONNX runtime. */
export interface OnnxRunner {
  /** Runs the model with one float32 input and returns the named float32 output's data. */
  run(inputName: string, data: Float32Array, dims: number[], outputName: string): Promise<Float32Array>;
}

export class EncoderConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid encoder config: ${problems.join('; ')}`);
    this.name = 'EncoderConfigError';
  }
}

// ---------------------------------------------------------------------------------------------
// Config parsing

const TOP_KEYS = ['name', 'file', 'sha256', 'version', 'input', 'output', 'multiCrop', 'pack', 'description', 'licence', 'source'];
const INPUT_KEYS = ['name', 'size', 'layout', 'resize', 'crop', 'mean', 'std', 'scale', 'colorSpace'];
const OUTPUT_KEYS = ['name', 'dim', 'normalize'];
const RESIZE_MODES: ResizeMode[] = ['squash', 'shorter-side-then-center-crop', 'letterbox'];

/**
 * Validates a parsed JSON value as an EncoderConfig. Every problem is reported at once, by path
 * (e.g. "input.std[1]: must be > 0"). Keys starting with '$' (e.g. "$comment") are ignored; any
 * other unknown key is an error, so a typo never silently falls back to a default.
 */
export function parseEncoderConfig(json: unknown): EncoderConfig {
  const p: string[] = [];
  if (!isObject(json)) throw new EncoderConfigError(['config must be a JSON object']);
  unknownKeys(json, TOP_KEYS, '', p);
  const name = str(json, 'name', '', p);
  const file = str(json, 'file', '', p);
  if (file && !/\.onnx$/i.test(file)) p.push(`file: must name an .onnx file, got "${file}"`);
  if (file && (file.includes('..') || file.startsWith('/'))) p.push(`file: must be relative to models/, got "${file}"`);
  const description = str(json, 'description', '', p);
  const licence = str(json, 'licence', '', p);
  const source = str(json, 'source', '', p);
  let sha256: string | undefined;
  if (json.sha256 !== undefined) {
    if (typeof json.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(json.sha256)) p.push('sha256: must be 64 hex digits');
    else sha256 = json.sha256.toLowerCase();
  }
  let version: number | undefined;
  if (json.version !== undefined) {
    if (!Number.isInteger(json.version) || (json.version as number) < 1) p.push('version: must be an integer >= 1');
    else version = json.version as number;
  }

  let input: EncoderInputSpec | undefined;
  if (!isObject(json.input)) p.push('input: required object');
  else {
    const i = json.input;
    unknownKeys(i, INPUT_KEYS, 'input.', p);
    const size = numArray(i, 'size', 'input.', 2, p);
    size?.forEach((v, k) => {
      if (!Number.isInteger(v) || v < 1 || v > 4096) p.push(`input.size[${k}]: must be an integer in 1..4096, got ${v}`);
    });
    if (i.layout !== 'NCHW') p.push(`input.layout: only "NCHW" is supported, got ${show(i.layout)}`);
    if (!RESIZE_MODES.includes(i.resize as ResizeMode)) {
      p.push(`input.resize: must be one of ${RESIZE_MODES.map((m) => `"${m}"`).join(', ')}, got ${show(i.resize)}`);
    }
    if (i.crop !== undefined && !isFraction(i.crop)) p.push(`input.crop: must be a number in (0, 1], got ${show(i.crop)}`);
    const mean = numArray(i, 'mean', 'input.', 3, p);
    const std = numArray(i, 'std', 'input.', 3, p);
    std?.forEach((v, k) => {
      if (!(v > 0)) p.push(`input.std[${k}]: must be > 0, got ${v}`);
    });
    if (typeof i.scale !== 'number' || !(i.scale > 0) || !Number.isFinite(i.scale)) {
      p.push(`input.scale: must be a positive number (e.g. 0.00392156862745098 for 1/255), got ${show(i.scale)}`);
    }
    if (i.colorSpace !== 'RGB') p.push(`input.colorSpace: only "RGB" is supported, got ${show(i.colorSpace)}`);
    const inName = str(i, 'name', 'input.', p);
    input = {
      name: inName,
      size: (size ?? [0, 0]) as [number, number],
      layout: 'NCHW',
      resize: i.resize as ResizeMode,
      ...(i.crop !== undefined ? { crop: i.crop as number } : {}),
      mean: (mean ?? [0, 0, 0]) as [number, number, number],
      std: (std ?? [1, 1, 1]) as [number, number, number],
      scale: i.scale as number,
      colorSpace: 'RGB',
    };
  }

  let output: EncoderOutputSpec | undefined;
  if (!isObject(json.output)) p.push('output: required object');
  else {
    const o = json.output;
    unknownKeys(o, OUTPUT_KEYS, 'output.', p);
    const outName = str(o, 'name', 'output.', p);
    if (!Number.isInteger(o.dim) || (o.dim as number) < 1 || (o.dim as number) > 65536) {
      p.push(`output.dim: must be an integer in 1..65536, got ${show(o.dim)}`);
    }
    if (o.normalize !== 'l2' && o.normalize !== 'none') p.push(`output.normalize: must be "l2" or "none", got ${show(o.normalize)}`);
    output = { name: outName, dim: o.dim as number, normalize: o.normalize as 'l2' | 'none' };
  }

  let multiCrop: number[] | undefined;
  if (json.multiCrop !== undefined) {
    if (!Array.isArray(json.multiCrop) || json.multiCrop.length < 1 || json.multiCrop.length > 8) {
      p.push('multiCrop: must be an array of 1..8 crop fractions');
    } else {
      json.multiCrop.forEach((v, k) => {
        if (!isFraction(v)) p.push(`multiCrop[${k}]: must be a number in (0, 1], got ${show(v)}`);
      });
      multiCrop = json.multiCrop as number[];
    }
  }

  let pack: string | undefined;
  if (json.pack !== undefined) {
    if (typeof json.pack !== 'string' || !/^[A-Za-z0-9._-]+\.bin$/.test(json.pack)) p.push('pack: must name a .bin file beside the config');
    else pack = json.pack;
  }

  if (p.length) throw new EncoderConfigError(p);
  return {
    name,
    file,
    ...(pack ? { pack } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(version !== undefined ? { version } : {}),
    input: input!,
    output: output!,
    ...(multiCrop ? { multiCrop } : {}),
    description,
    licence,
    source,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isFraction(v: unknown): v is number {
  return typeof v === 'number' && v > 0 && v <= 1;
}
function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
function unknownKeys(o: Record<string, unknown>, known: string[], path: string, p: string[]): void {
  for (const k of Object.keys(o)) {
    if (!k.startsWith('$') && !known.includes(k)) p.push(`${path}${k}: unknown key (known: ${known.join(', ')})`);
  }
}
function str(o: Record<string, unknown>, key: string, path: string, p: string[]): string {
  const v = o[key];
  if (typeof v !== 'string' || !v.trim()) {
    p.push(`${path}${key}: required non-empty string, got ${show(v)}`);
    return '';
  }
  return v;
}
function numArray(o: Record<string, unknown>, key: string, path: string, n: number, p: string[]): number[] | undefined {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    p.push(`${path}${key}: must be an array of ${n} numbers, got ${show(v)}`);
    return undefined;
  }
  return v as number[];
}

// ---------------------------------------------------------------------------------------------
// Preprocessing

/**
 * The model input for one image: float32 NCHW data of length 3 * h * w (batch of one), with
 * x = (pixel * scale - mean[c]) / std[c]. `crop` overrides cfg.input.crop (used for multi-crop).
 * Alpha is ignored (decoders hand over straight RGB).
 */
export function preprocess(img: RGBAImage, cfg: EncoderConfig, crop?: number): Float32Array {
  const { size, resize, mean, std, scale } = cfg.input;
  const [h, w] = size;
  const frac = crop ?? cfg.input.crop ?? 1;
  const base = centerRegion(img, frac);
  const out = new Float32Array(3 * h * w);
  const plane = h * w;
  // Target rectangle inside the h x w canvas, and the source region that fills it.
  let dx = 0;
  let dy = 0;
  let dw = w;
  let dh = h;
  let src: Region = base;
  if (resize === 'shorter-side-then-center-crop') {
    const s = Math.max(w / base.width, h / base.height); // output px per source px
    const sw = w / s;
    const sh = h / s;
    src = { x: base.x + (base.width - sw) / 2, y: base.y + (base.height - sh) / 2, width: sw, height: sh };
  } else if (resize === 'letterbox') {
    const s = Math.min(w / base.width, h / base.height);
    dw = Math.min(w, Math.max(1, Math.round(base.width * s)));
    dh = Math.min(h, Math.max(1, Math.round(base.height * s)));
    dx = Math.floor((w - dw) / 2);
    dy = Math.floor((h - dh) / 2);
    // The padding stays 0, i.e. the mean colour after normalisation.
  }
  const px = resampleRegion(img, src, dw, dh);
  const k0 = scale / std[0];
  const k1 = scale / std[1];
  const k2 = scale / std[2];
  const b0 = mean[0] / std[0];
  const b1 = mean[1] / std[1];
  const b2 = mean[2] / std[2];
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const i = (y * dw + x) * 4;
      const o = (y + dy) * w + (x + dx);
      out[o] = px[i]! * k0 - b0;
      out[o + plane] = px[i + 1]! * k1 - b1;
      out[o + 2 * plane] = px[i + 2]! * k2 - b2;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vector helpers

/** Unit-length copy (a zero vector stays zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  const out = new Float32Array(v.length);
  if (n > 0) for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero or the lengths differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

// ---------------------------------------------------------------------------------------------
// The signal

export interface EmbeddingSignalOptions {
  /** Signal name (the fingerprint key); default 'embed'. */
  name?: string;
  /** Signal version; default cfg.version ?? 1. */
  version?: number;
}

export function createEmbeddingSignal(
  cfg: EncoderConfig,
  runner: OnnxRunner,
  opts: EmbeddingSignalOptions = {},
): Signal<Float32Array> {
  const dim = cfg.output.dim;
  const [h, w] = cfg.input.size;
  const views = cfg.multiCrop ?? [cfg.input.crop ?? 1];

  async function embedView(img: RGBAImage, crop: number): Promise<Float32Array> {
    const data = preprocess(img, cfg, crop);
    const out = await runner.run(cfg.input.name, data, [1, 3, h, w], cfg.output.name);
    if (out.length !== dim) {
      throw new Error(
        `encoder "${cfg.name}" returned ${out.length} values from "${cfg.output.name}"; the config says output.dim = ${dim}`,
      );
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(out[i]!)) throw new Error(`encoder "${cfg.name}" returned a non-finite value at ${i}`);
    }
    return cfg.output.normalize === 'l2' ? l2normalize(out) : Float32Array.from(out);
  }

  return {
    name: opts.name ?? 'embed',
    version: opts.version ?? cfg.version ?? 1,
    index: { dimensions: dim, metric: 'cosine' },

    async extract(img: RGBAImage): Promise<Float32Array> {
      if (views.length === 1) return embedView(img, views[0]!);
      // Sequential on purpose: one session is not re-entrant, and batching would require a
      // dynamic batch axis that not every export has.
      const sum = new Float32Array(dim);
      for (const crop of views) {
        const v = await embedView(img, crop);
        for (let i = 0; i < dim; i++) sum[i] += v[i]!;
      }
      if (cfg.output.normalize === 'l2') return l2normalize(sum);
      for (let i = 0; i < dim; i++) sum[i] /= views.length;
      return sum;
    },

    serialize(value: Float32Array): Uint8Array {
      if (value.length !== dim) throw new RangeError(`embedding has ${value.length} values, expected ${dim}`);
      const bytes = new Uint8Array(dim * 4);
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < dim; i++) dv.setFloat32(i * 4, value[i]!, true);
      return bytes;
    },

    deserialize(bytes: Uint8Array): Float32Array {
      if (bytes.length !== dim * 4) {
        throw new RangeError(`embedding bytes: expected ${dim * 4} (${dim} float32), got ${bytes.length}`);
      }
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(dim);
      for (let i = 0; i < dim; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    },

    similarity(query: Float32Array, reference: Float32Array): number {
      return Math.min(1, Math.max(0, cosine(query, reference)));
    },

    toVector(value: Float32Array): Float32Array {
      return value;
    },
  };
}
