/**
 * rBRIEF against the learned patch descriptor (patch-desc) on identical keypoints and pairs, so the
 * only difference measured is the descriptor (and its matcher):
 *
 *  (a) held-out training photos (every 20th of the sorted paths, never trained on) under known
 *      synthetic homographies: match precision (share within 3 px of the true position), correct
 *      matches, RANSAC inliers, corner error of the recovered transform;
 *  (b) real copies from bench s1: inliers with the true source against the most inliers over
 *      unrelated references (the protocol of test/node/local.test.ts), evaluation only;
 *  (c) time to describe an image and to match a pair.
 *
 *   npx tsx src/cli/compare-local.ts --train ../shared/train --bench ../shared/bench/s1 \
 *     --model models/patch-desc.json [--photos 80] [--queries 0] [--out out/compare-local.json]
 *     [--skip synthetic|s1] [--learned-ratio 0.85,0.9]   (extra ratios, synthetic part only)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../core/image/decode.ts';
import type { RGBAImage } from '../core/image/types.ts';
import { applyTransform, cornerError, warpPerspective } from '../core/local/index.ts';
import { matchFloat } from '../core/local/match-float.ts';
import { matchBruteForce, type Matches, type MatchOptions } from '../core/local/match.ts';
import { orbFromPyramid, orbPyramid, type LocalFeatures } from '../core/local/orb.ts';
import { describeAt, parsePatchDescConfig, type LearnedFeatures, type PatchDescConfig } from '../core/local/patch-desc.ts';
import { verifyMatches, type VerifyResult } from '../core/local/verify.ts';
import { Rng } from '../core/quant/rng.ts';
import type { OnnxRunner } from '../core/signals/embedding.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { createNodeOnnxRunner } from '../functions/node/onnx.ts';
import { listImagesRecursive } from './files.ts';
import { median } from './predict.ts';

interface Both {
  orb: LocalFeatures;
  learned: LearnedFeatures;
  /** Milliseconds: pyramid + ORB (rBRIEF included), and the learned part (patches + network). */
  tOrb: number;
  tLearned: number;
}

const KINDS = ['rbrief', 'learned'] as const;
type Kind = (typeof KINDS)[number];
/** One descriptor with its matcher settings; extra learned ratios are checked on held-out photos only. */
interface Variant {
  name: string;
  kind: Kind;
  match?: MatchOptions;
}

async function describeBoth(img: RGBAImage, cfg: PatchDescConfig, runner: OnnxRunner): Promise<Both> {
  const t0 = performance.now();
  const pyr = orbPyramid(img);
  const orb = orbFromPyramid(pyr);
  const t1 = performance.now();
  const learned = await describeAt(orb, pyr, cfg, runner);
  return { orb, learned, tOrb: t1 - t0, tLearned: performance.now() - t1 };
}

/** Matching and RANSAC of one pair with one descriptor, timed separately. */
function verifyWith(kind: Kind, a: Both, b: Both, dim: number, match?: MatchOptions): { r: VerifyResult<Uint16Array | Float32Array>; tMatch: number; tRansac: number } {
  const t0 = performance.now();
  const m: Matches<Uint16Array | Float32Array> =
    kind === 'rbrief' ? matchBruteForce(a.orb.descriptors, b.orb.descriptors) : matchFloat(a.learned.descriptors, b.learned.descriptors, dim, match);
  const t1 = performance.now();
  const r = verifyMatches(a.orb, b.orb, m);
  return { r, tMatch: t1 - t0, tRansac: performance.now() - t1 };
}

/** Random homography A -> B of the kind copies undergo (any rotation, scale, mild perspective). */
function randomHomography(W: number, H: number, rng: Rng): Float64Array {
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const ang = rng.next() < 0.5 ? u(-Math.PI, Math.PI) : u(-0.3, 0.3);
  const sc = Math.exp(u(Math.log(0.6), Math.log(1.5)));
  const c = Math.cos(ang) * sc;
  const s = Math.sin(ang) * sc;
  const side = Math.max(W, H);
  const p = u(-0.3, 0.3) / side;
  const q = u(-0.3, 0.3) / side;
  // Centre to origin, rotate + scale, perspective, back to the centre shifted by up to 10 %.
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const tx = cx + u(-0.1, 0.1) * W;
  const ty = cy + u(-0.1, 0.1) * H;
  const M = [c, -s, -c * cx + s * cy, s, c, -s * cx - c * cy, p, q, 1 - p * cx - q * cy];
  return Float64Array.of(
    M[0] + tx * M[6], M[1] + tx * M[7], M[2] + tx * M[8],
    M[3] + ty * M[6], M[4] + ty * M[7], M[5] + ty * M[8],
    M[6], M[7], M[8],
  );
}

/** Contrast, brightness and Gaussian noise, seeded. */
function photometric(img: RGBAImage, rng: Rng): RGBAImage {
  const a = 0.7 + 0.6 * rng.next();
  const b = -20 + 40 * rng.next();
  const sigma = 4 * rng.next();
  const data = new Uint8ClampedArray(img.data.length);
  for (let i = 0; i < data.length; i += 4) {
    const n = sigma * rng.gaussian();
    for (let k = 0; k < 3; k++) data[i + k] = img.data[i + k] * a + b + n;
    data[i + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

async function loadImage(path: string): Promise<RGBAImage> {
  return decodeImage(new Uint8Array(readFileSync(path)));
}

/** (a): held-out photos under synthetic homographies. */
async function synthetic(trainDir: string, nPhotos: number, cfg: PatchDescConfig, runner: OnnxRunner, variants: Variant[]) {
  const held = listImagesRecursive(trainDir).map((p) => relative(trainDir, p)).sort().filter((_, i) => i % 20 === 0);
  const rng = new Rng(20261127);
  const acc = Object.fromEntries(variants.map((v) => [v.name, { matches: [] as number[], correct: [] as number[], inliers: [] as number[], corner: [] as number[], ok: 0 }]));
  let pairs = 0;
  for (const rel of held) {
    if (pairs >= nPhotos) break;
    const img = await loadImage(resolve(trainDir, rel));
    if (Math.min(img.width, img.height) < 120) continue;
    const H = randomHomography(img.width, img.height, rng);
    const warped = photometric(warpPerspective(img, H, img.width, img.height, [128, 128, 128, 255]), rng);
    const a = await describeBoth(img, cfg, runner);
    const b = await describeBoth(warped, cfg, runner);
    if (a.orb.count < 20 || b.orb.count < 20) continue;
    pairs++;
    for (const { name, kind, match } of variants) {
      const { r } = verifyWith(kind, a, b, cfg.output.dim, match);
      const m = r.matchList;
      let correct = 0;
      for (let k = 0; k < m.count; k++) {
        const [u, v] = applyTransform(H, a.orb.x[m.queryIdx[k]], a.orb.y[m.queryIdx[k]]);
        if (Math.hypot(u - b.orb.x[m.trainIdx[k]], v - b.orb.y[m.trainIdx[k]]) <= 3) correct++;
      }
      const s = acc[name];
      s.matches.push(m.count);
      s.correct.push(correct);
      s.inliers.push(r.inliers);
      const err = r.transform ? cornerError(r.transform, H, img.width, img.height) : Infinity;
      s.corner.push(err);
      if (err < 5) s.ok++;
    }
  }
  return Object.fromEntries(
    variants.map(({ name }) => {
      const s = acc[name];
      return [name, {
        pairs,
        matchesMean: mean(s.matches),
        correctMean: mean(s.correct),
        precision: sum(s.correct) / Math.max(1, sum(s.matches)),
        inliersMedian: median(s.inliers),
        inliersMean: mean(s.inliers),
        cornerErrorMedian: median(s.corner),
        recoveredUnder5px: s.ok / Math.max(1, pairs),
      }];
    }),
  );
}

/** (b): s1 copies, true source against unrelated references. */
async function realPairs(benchDir: string, limit: number, cfg: PatchDescConfig, runner: OnnxRunner) {
  const rows = readFileSync(`${benchDir}/truth.csv`, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
  const files = new Map(listImagesRecursive(`${benchDir}/queries`).map((f) => [f.replace(/^.*\//, '').replace(/\.[a-z]+$/i, ''), f]));
  const copies = rows.filter((r) => r[1]);
  const picked = limit > 0 ? copies.slice(0, limit) : copies;
  const refCache = new Map<string, Both>();
  const ref = async (id: string) => {
    let f = refCache.get(id);
    if (!f) refCache.set(id, (f = await describeBoth(await loadImage(`${benchDir}/refs/${id}.jpg`), cfg, runner)));
    return f;
  };
  const unrelatedIds = ['R00000', 'R00001', 'R00002'];
  const per = Object.fromEntries(KINDS.map((k) => [k, { truth: [] as number[], worst: [] as number[], verified: 0, separated: 0, falseVerified: 0, tMatch: [] as number[], tRansac: [] as number[] }]));
  const tDescribe = { rbrief: [] as number[], learned: [] as number[] };
  const byTransform = new Map<string, Record<Kind, number[]>>();
  for (const [query, source, , transform] of picked) {
    const path = files.get(query);
    if (!path) continue;
    const q = await describeBoth(await loadImage(path), cfg, runner);
    tDescribe.rbrief.push(q.tOrb);
    tDescribe.learned.push(q.tOrb + q.tLearned);
    const src = await ref(source);
    const others = await Promise.all(unrelatedIds.filter((u) => u !== source).map(ref));
    // Quoted transforms ("colorjitter(b1.3, ...)") start with a quote: take the first word.
    const family = /[a-z-]+/i.exec(transform)?.[0] ?? transform;
    if (!byTransform.has(family)) byTransform.set(family, { rbrief: [], learned: [] });
    for (const kind of KINDS) {
      const s = per[kind];
      const t = verifyWith(kind, q, src, cfg.output.dim);
      s.tMatch.push(t.tMatch);
      s.tRansac.push(t.tRansac);
      const u = others.map((o) => verifyWith(kind, q, o, cfg.output.dim).r);
      const worst = Math.max(...u.map((x) => x.inliers));
      s.truth.push(t.r.inliers);
      s.worst.push(worst);
      if (t.r.verified) s.verified++;
      if (t.r.verified && t.r.inliers > worst) s.separated++;
      s.falseVerified += u.filter((x) => x.verified).length;
      byTransform.get(family)![kind].push(t.r.inliers);
    }
  }
  const n = per.rbrief.truth.length;
  const summary = Object.fromEntries(
    KINDS.map((k) => {
      const s = per[k];
      // Recall at zero false positives: the true source must beat every unrelated pair seen.
      const cut = Math.max(...s.worst);
      return [k, {
        queries: n,
        verifiedShare: s.verified / n,
        separatedShare: s.separated / n,
        recallAboveAllUnrelated: s.truth.filter((x) => x > cut).length / n,
        maxUnrelatedInliers: cut,
        falseVerified: s.falseVerified,
        trueInliersMedian: median(s.truth),
        unrelatedInliersMedian: median(s.worst),
        matchMsMedian: median(s.tMatch),
        ransacMsMedian: median(s.tRansac),
      }];
    }),
  );
  const families = Object.fromEntries(
    [...byTransform].map(([f, v]) => [f, { n: v.rbrief.length, rbriefMedianInliers: median(v.rbrief), learnedMedianInliers: median(v.learned) }]),
  );
  return { summary, families, describeMsMedian: { rbrief: median(tDescribe.rbrief), learned: median(tDescribe.learned) } };
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      train: { type: 'string', default: '../shared/train' }, bench: { type: 'string', default: '../shared/bench/s1' },
      model: { type: 'string', default: 'models/patch-desc.json' }, photos: { type: 'string', default: '80' },
      queries: { type: 'string', default: '0' }, out: { type: 'string', default: 'out/compare-local.json' },
      skip: { type: 'string', default: '' }, 'learned-ratio': { type: 'string' },
    },
  });
  await initNodeCodecs();
  const cfg = parsePatchDescConfig(JSON.parse(readFileSync(o.model!, 'utf8')));
  const runner = createNodeOnnxRunner(resolve(dirname(o.model!), cfg.file));
  const result: Record<string, unknown> = { model: o.model };
  if (!o.skip!.includes('synthetic')) {
    const ratios = o['learned-ratio'] ? o['learned-ratio'].split(',').map(Number) : [];
    const variants: Variant[] = [
      { name: 'rbrief', kind: 'rbrief' },
      { name: 'learned', kind: 'learned' },
      ...ratios.map((ratio): Variant => ({ name: `learned@ratio${ratio}`, kind: 'learned', match: { ratio } })),
    ];
    result.synthetic = await synthetic(o.train!, Number(o.photos), cfg, runner, variants);
    console.log(JSON.stringify({ synthetic: result.synthetic }, null, 1));
  }
  if (!o.skip!.includes('s1')) {
    result.s1 = await realPairs(o.bench!, Number(o.queries), cfg, runner);
    console.log(JSON.stringify({ s1: result.s1 }, null, 1));
  }
  writeFileSync(o.out!, JSON.stringify(result, null, 1) + '\n');
}

await main();
