/**
 * Lloyd's k-means with k-means++ seeding, the trainer behind PQ codebooks (and later coarse IVF
 * centroids). Deterministic given the seed: the only randomness is the seeding, drawn from Rng, and
 * every tie resolves to the lowest index.
 */
import { Rng } from './rng.ts';

export interface KMeansOptions {
  /** Maximum Lloyd iterations; stops earlier once no assignment changes. Default 25 (FAISS's). */
  iters?: number;
  /** Seed for k-means++ seeding. Default 1234. */
  seed?: number;
}

/**
 * Clusters n row-major vectors of length dim into k groups; returns the centroids, k * dim values.
 * Requires n >= k. Duplicate points are fine: a cluster left empty is re-seeded with the point
 * farthest from its centroid, so no centroid is ever NaN or a stale copy of another.
 */
export function kmeans(data: Float32Array, n: number, dim: number, k: number, opts: KMeansOptions = {}): Float32Array {
  const { iters = 25, seed = 1234 } = opts;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(n) || n < k) throw new RangeError(`k-means needs n >= k training vectors (n = ${n}, k = ${k})`);
  if (data.length < n * dim) throw new RangeError(`data has ${data.length} values, need n * dim = ${n * dim}`);

  const centroids = seedPlusPlus(data, n, dim, k, new Rng(seed));
  const labels = new Int32Array(n).fill(-1);
  const dists = new Float64Array(n);
  const counts = new Int32Array(k);
  const sums = new Float64Array(k * dim);

  for (let it = 0; it < iters; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const c = nearestCentroid(data, i * dim, centroids, 0, k, dim);
      dists[i] = sqDist(data, i * dim, centroids, c * dim, dim);
      if (c !== labels[i]) {
        labels[i] = c;
        changed++;
      }
    }
    // Centroids are already the means of this assignment, so nothing would move.
    if (changed === 0) break;

    counts.fill(0);
    for (let i = 0; i < n; i++) counts[labels[i]]++;
    reseedEmpty(n, k, labels, dists, counts);

    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const o = labels[i] * dim;
      const row = i * dim;
      for (let j = 0; j < dim; j++) sums[o + j] += data[row + j];
    }
    for (let c = 0; c < k; c++) {
      const inv = 1 / counts[c];
      for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j] * inv;
    }
  }
  return centroids;
}

/**
 * Index of the centroid nearest (squared L2) to the vector at data[offset..offset+dim), among k
 * centroids stored from centroids[cOffset]. Ties go to the lower index.
 *
 * This is the k-means and PQ-encoding hot loop. Four centroids per pass share each load of the
 * query value and keep four independent sums, about 2x faster in V8 than one at a time; each sum
 * still adds in the same order, so results equal the naive loop's bit for bit.
 */
export function nearestCentroid(
  data: Float32Array,
  offset: number,
  centroids: Float32Array,
  cOffset: number,
  k: number,
  dim: number,
): number {
  let best = 0;
  let bestDist = Infinity;
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const o0 = cOffset + c * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < dim; j++) {
      const x = data[offset + j];
      const t0 = x - centroids[o0 + j];
      const t1 = x - centroids[o1 + j];
      const t2 = x - centroids[o2 + j];
      const t3 = x - centroids[o3 + j];
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    if (s0 < bestDist) {
      bestDist = s0;
      best = c;
    }
    if (s1 < bestDist) {
      bestDist = s1;
      best = c + 1;
    }
    if (s2 < bestDist) {
      bestDist = s2;
      best = c + 2;
    }
    if (s3 < bestDist) {
      bestDist = s3;
      best = c + 3;
    }
  }
  for (; c < k; c++) {
    const s = sqDist(data, offset, centroids, cOffset + c * dim, dim);
    if (s < bestDist) {
      bestDist = s;
      best = c;
    }
  }
  return best;
}

function sqDist(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

/**
 * k-means++: each next centroid is a data point drawn with probability proportional to its squared
 * distance from the nearest centroid so far, which spreads the start and avoids most bad optima.
 */
function seedPlusPlus(data: Float32Array, n: number, dim: number, k: number, rng: Rng): Float32Array {
  const centroids = new Float32Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let c = 0; c < k; c++) {
    centroids.set(data.subarray(pick * dim, (pick + 1) * dim), c * dim);
    if (c === k - 1) break;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = sqDist(data, i * dim, centroids, c * dim, dim);
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    // Every point coincides with a centroid (heavy duplication): any choice is as good as another.
    if (!(total > 0)) {
      pick = rng.int(n);
      continue;
    }
    pick = rng.weighted(d2, total);
  }
  return centroids;
}

/**
 * Gives each empty cluster the point currently farthest from its own centroid (taken from a cluster
 * that keeps at least one member). That point is the worst-served, so moving it reduces the error
 * most, and it is a deterministic choice, unlike FAISS's random split of a large cluster.
 */
function reseedEmpty(n: number, k: number, labels: Int32Array, dists: Float64Array, counts: Int32Array): void {
  for (let c = 0; c < k; c++) {
    if (counts[c] > 0) continue;
    let far = -1;
    for (let i = 0; i < n; i++) {
      if (counts[labels[i]] > 1 && (far < 0 || dists[i] > dists[far])) far = i;
    }
    // n >= k guarantees a cluster with two members while any cluster is empty.
    counts[labels[far]]--;
    labels[far] = c;
    counts[c] = 1;
    dists[far] = 0;
  }
}
