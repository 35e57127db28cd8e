/**
 * Convex hull area of a point subset, for the "overlap" of a verified match: how much of each
 * image the geometrically consistent keypoints span (TinEye's MatchEngine reports the same idea).
 * Andrew's monotone chain, O(n log n), exact for collinear and duplicate points.
 */

/** Area of the convex hull of the points (xs[i], ys[i]) with mask[i] set. */
export function hullArea(xs: ArrayLike<number>, ys: ArrayLike<number>, mask: ArrayLike<number>): number {
  const idx: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) idx.push(i);
  if (idx.length < 3) return 0;
  idx.sort((a, b) => xs[a] - xs[b] || ys[a] - ys[b] || a - b);
  const cross = (o: number, a: number, b: number) =>
    (xs[a] - xs[o]) * (ys[b] - ys[o]) - (ys[a] - ys[o]) * (xs[b] - xs[o]);
  const lower: number[] = [];
  for (const p of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: number[] = [];
  for (let k = idx.length - 1; k >= 0; k--) {
    const p = idx[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  let area = 0;
  for (let k = 0; k < hull.length; k++) {
    const a = hull[k];
    const b = hull[(k + 1) % hull.length];
    area += xs[a] * ys[b] - xs[b] * ys[a];
  }
  return Math.abs(area) / 2;
}
