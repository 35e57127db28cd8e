/**
 * `copycat bench-verify`: what one geometric check costs, with reference features cached the way
 * the origin holds them (serialized at index time, decoded once). For each query that has a source
 * in truth.csv, the candidates are its source plus unrelated references (the default candidate
 * count in all), so the figures mix the verified and rejected pairs the origin really sees. The
 * JS matcher is timed in the same run as the WASM SIMD one, as the baseline of the ratio.
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../core/image/decode.ts';
import { deserializeLocalFeatures, serializeLocalFeatures, verifyPair, type LocalFeatures } from '../core/local/index.ts';
import { localFeaturesOf } from '../core/pipeline.ts';
import { checkPair, DEFAULT_RERANK } from '../core/verify/rerank.ts';
import { parseCsv } from '../core/eval/metrics.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { loadNearestKernel } from '../functions/node/nearest-wasm.ts';
import { listImages, idOf } from './files.ts';
import { median } from './predict.ts';
import { Progress } from './progress.ts';

export interface VerifyBenchOptions {
  refs: string;
  queries: string;
  truth: string;
  /** Queries to use (default 100). */
  limit: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

export async function benchVerify(o: VerifyBenchOptions) {
  await initNodeCodecs();
  const kernel = await loadNearestKernel();
  const wasm = { match: { kernel } };
  const refFile = new Map(listImages(o.refs).map((f) => [idOf(f), f]));
  const queryFile = new Map(listImages(o.queries).map((f) => [idOf(f), f]));
  const rows = (parseCsv(readFileSync(o.truth, 'utf8')) as unknown as { query: string; source: string }[])
    .filter((r) => r.source && refFile.has(r.source) && queryFile.has(r.query))
    .slice(0, o.limit);
  const refIds = [...refFile.keys()].sort();
  const cache = new Map<string, LocalFeatures>();
  let storedBytes = 0;
  const refFeatures = async (id: string) => {
    let f = cache.get(id);
    if (!f) {
      const bytes = serializeLocalFeatures(localFeaturesOf(await decodeImage(new Uint8Array(readFileSync(refFile.get(id)!))), 'ref').features);
      storedBytes += bytes.length;
      f = deserializeLocalFeatures(bytes);
      cache.set(id, f);
    }
    return f;
  };
  const t = { js: [] as number[], wasm: [] as number[], check: [] as number[], extract: [] as number[], query: [] as number[] };
  const trueInliers: number[] = [];
  let verifiedTrue = 0, falseVerified = 0, unrelated = 0, maxUnrelated = 0;
  const bar = new Progress('verify', rows.length);
  for (const r of rows) {
    const img = await decodeImage(new Uint8Array(readFileSync(queryFile.get(r.query)!)));
    const t0 = performance.now();
    const q = localFeaturesOf(img, 'query');
    const extractMs = performance.now() - t0;
    const start = refIds.indexOf(r.source);
    const others = Array.from({ length: DEFAULT_RERANK.maxCandidates - 1 }, (_, k) => refIds[(start + 1 + k * 7) % refIds.length]).filter((id) => id !== r.source);
    const cands = [r.source, ...others];
    const feats = await Promise.all(cands.map(refFeatures));
    let checkTotal = 0;
    cands.forEach((id, k) => {
      let s = performance.now();
      verifyPair(q.features, feats[k]);
      t.js.push(performance.now() - s);
      s = performance.now();
      verifyPair(q.features, feats[k], wasm);
      t.wasm.push(performance.now() - s);
      s = performance.now();
      const g = checkPair(q, feats[k], wasm);
      const ms = performance.now() - s;
      t.check.push(ms);
      checkTotal += ms;
      if (id === r.source) {
        trueInliers.push(g.inliers);
        if (g.verified) verifiedTrue++;
      } else {
        unrelated++;
        maxUnrelated = Math.max(maxUnrelated, g.inliers);
        if (g.verified) falseVerified++;
      }
    });
    t.extract.push(extractMs);
    t.query.push(extractMs + checkTotal);
    bar.tick();
  }
  bar.end();
  const ms = (xs: number[]) => ({ median: round(median(xs)), p90: round(pct(xs, 0.9)) });
  return {
    queries: rows.length, candidatesPerQuery: DEFAULT_RERANK.maxCandidates, pairs: t.wasm.length,
    pairMs: { js: ms(t.js), wasm: ms(t.wasm), ratioJsToWasm: round(median(t.js) / median(t.wasm)) },
    checkPairMs: ms(t.check),
    perQueryMs: { extractQueryFeatures: ms(t.extract), extractPlusChecks: ms(t.query) },
    quality: { trueVerified: `${verifiedTrue}/${rows.length}`, trueInliersMedian: median(trueInliers), unrelatedPairs: unrelated, unrelatedVerified: falseVerified, unrelatedMaxInliers: maxUnrelated },
    storedBytesPerReference: Math.round(storedBytes / Math.max(1, cache.size)),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
