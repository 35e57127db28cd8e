import { S1 } from '../support/fixtures.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode.ts';
import { cropCenter, resizeArea } from '../../src/core/image/resize.ts';
import type { RGBAImage } from '../../src/core/image/types.ts';
import {
  EncoderConfigError,
  cosine,
  createEmbeddingSignal,
  parseEncoderConfig,
  preprocess,
  type EncoderConfig,
  type OnnxRunner,
} from '../../src/core/signals/embedding.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';
import { createNodeOnnxRunner, loadEncoderConfig, loadNodeEmbeddingSignal } from '../../src/functions/node/onnx.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODELS = join(ROOT, 'models');
const BENCH = S1.replace(/\/$/, '');

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function baseConfig(): Record<string, any> {
  return structuredClone(readJson(join(MODELS, 'tiny-encoder.json')) as Record<string, any>);
}

function problemsOf(json: unknown): string[] {
  try {
    parseEncoderConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(EncoderConfigError);
    return (err as EncoderConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** width x height image from a per-pixel RGB function (alpha 255). */
function image(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): RGBAImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** A config whose normalisation maps 0 -> -1 and 255 -> +1 on every channel. */
function unitConfig(h: number, w: number, resize: EncoderConfig['input']['resize'], crop?: number): EncoderConfig {
  const json = baseConfig();
  json.input = {
    ...json.input,
    size: [h, w],
    resize,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    scale: 1 / 255,
    ...(crop ? { crop } : {}),
  };
  return parseEncoderConfig(json);
}

describe('parseEncoderConfig', () => {
  it('accepts the shipped configs', () => {
    const tiny = parseEncoderConfig(readJson(join(MODELS, 'tiny-encoder.json')));
    expect(tiny.input.size).toEqual([32, 32]);
    expect(tiny.output).toEqual({ name: 'embedding', dim: 64, normalize: 'l2' });
    const clip = parseEncoderConfig(readJson(join(MODELS, 'clip-vit-b32.json')));
    expect(clip.input).toMatchObject({ name: 'pixel_values', size: [224, 224], resize: 'shorter-side-then-center-crop' });
    expect(clip.output).toEqual({ name: 'image_embeds', dim: 512, normalize: 'l2' });
    expect(clip.multiCrop).toEqual([1, 0.75]);
  });

  it('rejects a non-object', () => {
    expect(() => parseEncoderConfig(null)).toThrow(/must be a JSON object/);
    expect(() => parseEncoderConfig([1])).toThrow(/must be a JSON object/);
  });

  it('reports every problem at once, by path', () => {
    const json = baseConfig();
    delete json.name;
    json.file = 'model.bin';
    json.input.resize = 'stretch';
    json.input.mean = [0.5, 0.5];
    json.input.std = [0.2, 0, 0.2];
    json.input.layout = 'NHWC';
    json.input.size = [32, 0];
    json.output.dim = 0;
    json.output.normalize = 'l1';
    json.input.crop = 1.5;
    json.multiCrop = [1, 0];
    json.outputs = {};
    const problems = problemsOf(json);
    const expected = [
      /^name: required non-empty string/,
      /^file: must name an \.onnx file/,
      /^input\.resize: must be one of "squash", "shorter-side-then-center-crop", "letterbox", got "stretch"/,
      /^input\.mean: must be an array of 3 numbers/,
      /^input\.std\[1\]: must be > 0/,
      /^input\.layout: only "NCHW"/,
      /^input\.size\[1\]: must be an integer in 1\.\.4096/,
      /^output\.dim: must be an integer/,
      /^output\.normalize: must be "l2" or "none"/,
      /^input\.crop: must be a number in \(0, 1\]/,
      /^multiCrop\[1\]: must be a number in \(0, 1\]/,
      /^outputs: unknown key/,
    ];
    for (const re of expected) expect(problems.some((p) => re.test(p)), `${re} in ${problems.join(' | ')}`).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('names missing sections, bad scale, colour space and paths escaping models/', () => {
    const json = baseConfig();
    delete json.output;
    json.input.scale = 0;
    json.input.colorSpace = 'BGR';
    json.file = '../secret.onnx';
    const problems = problemsOf(json);
    expect(problems).toContain('output: required object');
    expect(problems.some((p) => p.startsWith('input.scale: must be a positive number'))).toBe(true);
    expect(problems.some((p) => p.startsWith('input.colorSpace: only "RGB"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('file: must be relative to models/'))).toBe(true);
    expect(() => parseEncoderConfig(json)).toThrow(/^invalid encoder config: /);
  });

  it('ignores $-prefixed keys and keeps optional fields', () => {
    const json = baseConfig();
    json.$comment = 'notes';
    json.version = 3;
    json.sha256 = 'AB'.repeat(32);
    const cfg = parseEncoderConfig(json);
    expect(cfg.version).toBe(3);
    expect(cfg.sha256).toBe('ab'.repeat(32));
    expect(problemsOf({ ...json, version: 1.5 })).toEqual(['version: must be an integer >= 1']);
  });
});

describe('resize helpers', () => {
  it('area-averages when shrinking and keeps a constant image constant', () => {
    // 4x4 checkerboard of 0/200 -> 2x2 of 100.
    const img = image(4, 4, (x, y) => ((x + y) % 2 ? [200, 200, 200] : [0, 0, 0]));
    const small = resizeArea(img, 2, 2);
    expect([...small.data]).toEqual([100, 100, 100, 255, 100, 100, 100, 255, 100, 100, 100, 255, 100, 100, 100, 255]);
    const flat = resizeArea(image(7, 5, () => [10, 20, 30]), 3, 11);
    for (let i = 0; i < flat.data.length; i += 4) expect([...flat.data.subarray(i, i + 4)]).toEqual([10, 20, 30, 255]);
  });

  it('covers fractional source boxes exactly (3 -> 2 pixels)', () => {
    // Row 0, 90, 180: output 0 covers [0, 1.5) -> (0 + 0.5*90)/1.5 = 30; output 1 -> (0.5*90 + 180)/1.5 = 150.
    const img = image(3, 1, (x) => [x * 90, 0, 0]);
    expect([...resizeArea(img, 2, 1).data].filter((_, i) => i % 4 === 0)).toEqual([30, 150]);
  });

  it('crops the centre', () => {
    const img = image(4, 4, (x, y) => [x, y, 0]);
    const c = cropCenter(img, 0.5);
    expect([c.width, c.height]).toEqual([2, 2]);
    expect([...c.data]).toEqual([1, 1, 0, 255, 2, 1, 0, 255, 1, 2, 0, 255, 2, 2, 0, 255]);
    expect(() => cropCenter(img, 0)).toThrow(RangeError);
  });
});

describe('preprocess', () => {
  it('applies scale, mean and std and lays channels out as NCHW planes', () => {
    // 2x2: red, green / blue, white.
    const colours: [number, number, number][] = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
    ];
    const img = image(2, 2, (x, y) => colours[y * 2 + x]!);
    const t = preprocess(img, unitConfig(2, 2, 'squash'));
    expect(t).toBeInstanceOf(Float32Array);
    expect([...t]).toEqual([1, -1, -1, 1, /* G */ -1, 1, -1, 1, /* B */ -1, -1, 1, 1]);
  });

  it('uses the per-channel mean and std of the config', () => {
    const json = baseConfig();
    json.input = { ...json.input, size: [1, 1], mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2], scale: 1 / 255 };
    const t = preprocess(image(3, 3, () => [51, 102, 255]), parseEncoderConfig(json));
    expect(t[0]).toBeCloseTo((0.2 - 0.1) / 0.5, 5);
    expect(t[1]).toBeCloseTo((0.4 - 0.2) / 0.25, 5);
    expect(t[2]).toBeCloseTo((1 - 0.3) / 2, 5);
  });

  it('shorter-side-then-center-crop keeps the centre, squash keeps everything', () => {
    // 4x2: columns black, white, white, black. The centre 2x2 is white.
    const img = image(4, 2, (x) => (x === 1 || x === 2 ? [255, 255, 255] : [0, 0, 0]));
    const crop = preprocess(img, unitConfig(2, 2, 'shorter-side-then-center-crop'));
    expect([...crop]).toEqual(new Array(12).fill(1));
    const squash = preprocess(img, unitConfig(2, 2, 'squash'));
    expect([...squash.subarray(0, 4)]).toEqual([0, 0, 0, 0]); // each output column averages black + white
  });

  it('letterbox pads with the mean colour (0) around the fitted image', () => {
    const img = image(4, 2, () => [255, 255, 255]);
    const t = preprocess(img, unitConfig(4, 4, 'letterbox'));
    const r = [...t.subarray(0, 16)];
    expect(r).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('crops the centre fraction first', () => {
    // 4x4: white 2x2 centre on black; crop 0.5 leaves only white.
    const img = image(4, 4, (x, y) => (x > 0 && x < 3 && y > 0 && y < 3 ? [255, 255, 255] : [0, 0, 0]));
    expect([...preprocess(img, unitConfig(2, 2, 'squash', 0.5))]).toEqual(new Array(12).fill(1));
    expect([...preprocess(img, unitConfig(2, 2, 'squash'), 0.5)]).toEqual(new Array(12).fill(1));
  });
});

describe('createEmbeddingSignal (fake runner)', () => {
  const cfg = parseEncoderConfig({ ...baseConfig(), multiCrop: [1, 0.5] });
  const calls: { dims: number[]; mean: number }[] = [];
  // Returns a vector along axis 0 for the full view and axis 1 for the crop (told apart by the mean).
  const runner: OnnxRunner = {
    async run(inputName, data, dims, outputName) {
      expect(inputName).toBe('input');
      expect(outputName).toBe('embedding');
      const mean = data.reduce((a, b) => a + b, 0) / data.length;
      calls.push({ dims, mean });
      const v = new Float32Array(64);
      v[mean < 0 ? 0 : 1] = 3;
      return v;
    },
  };
  const sig = createEmbeddingSignal(cfg, runner, { name: 'embed-test', version: 7 });

  it('describes itself', () => {
    expect(sig.name).toBe('embed-test');
    expect(sig.version).toBe(7);
    expect(sig.index).toEqual({ dimensions: 64, metric: 'cosine' });
    expect(createEmbeddingSignal(parseEncoderConfig(baseConfig()), runner).name).toBe('embed');
  });

  it('averages the normalised crops and renormalises', async () => {
    // Black border, white centre: the full view is mostly dark, the 0.5 crop mostly white.
    const img = image(8, 8, (x, y) => (x >= 2 && x < 6 && y >= 2 && y < 6 ? [255, 255, 255] : [0, 0, 0]));
    const v = await sig.extract(img);
    expect(calls.map((c) => c.dims)).toEqual([
      [1, 3, 32, 32],
      [1, 3, 32, 32],
    ]);
    expect(v[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('serialises as little-endian float32 and round-trips', () => {
    const v = new Float32Array(64).map((_, i) => (i - 32) / 7);
    const bytes = sig.serialize(v);
    expect(bytes.length).toBe(256);
    expect([...bytes.subarray(0, 4)]).toEqual([...new Uint8Array(new Float32Array([-32 / 7]).buffer)]); // host is LE
    expect(new DataView(bytes.buffer).getFloat32(4, true)).toBeCloseTo(-31 / 7, 6);
    expect(sig.deserialize(bytes)).toEqual(v);
    expect(sig.deserialize(bytes.slice())).toEqual(v);
    expect(() => sig.deserialize(new Uint8Array(10))).toThrow(/expected 256/);
    expect(() => sig.serialize(new Float32Array(3))).toThrow(RangeError);
  });

  it('similarity is cosine clamped to [0, 1]', () => {
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    a[0] = 1;
    b[0] = -1;
    expect(sig.similarity(a, a)).toBeCloseTo(1, 6);
    expect(sig.similarity(a, b)).toBe(0);
    b[0] = 1;
    b[1] = 1;
    expect(sig.similarity(a, b)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(sig.toVector(a)).toBe(a);
  });

  it('rejects an output of the wrong length', async () => {
    const bad = createEmbeddingSignal(parseEncoderConfig(baseConfig()), { run: async () => new Float32Array(10) });
    await expect(bad.extract(image(4, 4, () => [1, 2, 3]))).rejects.toThrow(/returned 10 values.*output\.dim = 64/);
  });
});

describe('tiny encoder through onnxruntime-web (Node)', () => {
  it('is deterministic, batch-dynamic and agrees between batch and single runs', async () => {
    const { config, modelPath } = await loadEncoderConfig(join(MODELS, 'tiny-encoder.json'));
    const runner = createNodeOnnxRunner(modelPath);
    const a = preprocess(image(40, 30, (x, y) => [x * 6, y * 8, 100]), config);
    const b = preprocess(image(30, 40, (x, y) => [200 - x * 5, 50, y * 6]), config);
    const both = new Float32Array(a.length * 2);
    both.set(a);
    both.set(b, a.length);
    const single = await runner.run('input', a, [1, 3, 32, 32], 'embedding');
    const batch = await runner.run('input', both, [2, 3, 32, 32], 'embedding');
    expect(batch.length).toBe(128);
    for (let i = 0; i < 64; i++) expect(batch[i]).toBeCloseTo(single[i]!, 4);
    expect(cosine(batch.subarray(0, 64), batch.subarray(64))).toBeLessThan(0.9);
    await expect(runner.run('input', a, [1, 3, 32, 32], 'nope')).rejects.toThrow();
  });

  const haveBench = existsSync(join(BENCH, 'truth.csv'));
  if (!haveBench) console.warn(`skipping the bench-image test: ${BENCH}/truth.csv is missing`);

  describe.skipIf(!haveBench)('on bench images', () => {
    type Pair = { query: string; source: string; transform: string };
    let pairs: Pair[] = [];
    let unrelated: string[] = [];

    beforeAll(async () => {
      await initNodeCodecs();
      const rows = readFileSync(join(BENCH, 'truth.csv'), 'utf8')
        .split(/\r?\n/)
        .slice(1)
        .filter(Boolean)
        .map((l) => l.split(','))
        .filter(([, source, tier]) => source && tier === 'easy')
        .sort((x, y) => x[0]!.localeCompare(y[0]!));
      // Two pairs per easy re-encoding/rescaling transform, in query-id order.
      for (const kind of ['jpeg', 'webp', 'rescale', 'png+scale', 'grayscale']) {
        for (const r of rows.filter((r) => r[3]!.startsWith(kind)).slice(0, 2)) {
          pairs.push({ query: r[0]!, source: r[1]!, transform: r[3]! });
        }
      }
      const sources = new Set(pairs.map((p) => p.source));
      const refs = readdirSync(join(BENCH, 'refs'))
        .filter((f) => /^R\d+\./.test(f))
        .sort();
      unrelated = refs.filter((f, i) => i % 23 === 0 && !sources.has(f.replace(/\..*$/, ''))).slice(0, 24);
    });

    async function load(dir: string, id: string): Promise<RGBAImage> {
      const file = id.includes('.') ? id : readdirSync(join(BENCH, dir)).find((f) => f.startsWith(`${id}.`));
      if (!file) throw new Error(`no file for ${id} in ${dir}`);
      return decodeImage(new Uint8Array(readFileSync(join(BENCH, dir, file))));
    }

    it('scores each copy above every unrelated reference', async () => {
      expect(pairs.length).toBeGreaterThanOrEqual(8);
      const sig = await loadNodeEmbeddingSignal(join(MODELS, 'tiny-encoder.json'));
      const others: Float32Array[] = [];
      for (const f of unrelated) others.push(await sig.extract(await load('refs', f)));
      let ms = 0;
      let n = 0;
      for (const p of pairs) {
        const src = await sig.extract(await load('refs', p.source));
        const img = await load('queries', p.query);
        const t = performance.now();
        const q = await sig.extract(img);
        ms += performance.now() - t;
        n++;
        expect(Math.hypot(...q)).toBeCloseTo(1, 5);
        const copy = sig.similarity(q, src);
        const worst = Math.max(...others.map((o) => sig.similarity(q, o)));
        expect(copy, `${p.query} (${p.transform}) vs ${p.source}: copy ${copy.toFixed(3)}, best unrelated ${worst.toFixed(3)}`).toBeGreaterThan(worst);
        expect(copy).toBeGreaterThan(0.8);
      }
      console.log(`tiny-encoder: ${pairs.length} copies vs ${others.length} unrelated refs, ${(ms / n).toFixed(2)} ms per embedding (resize + ORT, decode excluded)`);
    });
  });
});

describe('CLIP-shaped config on the random clip-like model', () => {
  it('produces 512-d unit vectors end to end, two crops per image', async () => {
    let runs = 0;
    const { config } = await loadEncoderConfig(join(MODELS, 'clip-vit-b32.json'));
    const inner = createNodeOnnxRunner(join(MODELS, 'test', 'clip-like-random.onnx'));
    const runner: OnnxRunner = {
      run(inputName, data, dims, outputName) {
        runs++;
        expect(dims).toEqual([1, 3, 224, 224]);
        expect(data.length).toBe(3 * 224 * 224);
        return inner.run(inputName, data, dims, outputName);
      },
    };
    const sig = createEmbeddingSignal(config, runner);
    expect(sig.index).toEqual({ dimensions: 512, metric: 'cosine' });
    const a = image(320, 240, (x, y) => [x % 256, y, (x * y) % 256]);
    const b = image(300, 300, (x, y) => [(x * 3) % 256, 255 - (y % 256), 90]);
    const t = performance.now();
    const va = await sig.extract(a);
    const ms = performance.now() - t;
    const [va2, vb] = await Promise.all([sig.extract(a), sig.extract(b)]); // concurrent runs are queued
    expect(runs).toBe(6);
    for (const v of [va, vb]) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(512);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(va2).toEqual(va);
    expect(sig.serialize(va).length).toBe(2048);
    expect(sig.deserialize(sig.serialize(va))).toEqual(va);
    console.log(`clip-like (224x224, 2 crops): ${ms.toFixed(1)} ms per embedding`);
  });
});
