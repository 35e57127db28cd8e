/**
 * The edge's side of origin verification. The origin is reached through a service binding
 * (`ORIGIN`, when both run on Cloudflare) or a URL (`ORIGIN_URL`, e.g. the Node origin that
 * `npm start` runs on loopback). Every call has a deadline; when the origin is unset, down, slow or
 * broken the edge still answers from its global signals and says why verification is missing.
 */
import { DEFAULT_RERANK, type Geometry, type RerankOptions } from '../../core/verify/rerank.ts';
import { DEFAULT_BOW_SHORTLIST } from '../../core/verify/shortlist.ts';

export interface OriginEnv {
  ORIGIN?: Fetcher;
  ORIGIN_URL?: string;
  VERIFY_MIN_SCORE?: string;
  VERIFY_MAX_SCORE?: string;
  VERIFY_MAX_CANDIDATES?: string;
  VERIFY_TIMEOUT_MS?: string;
  VERIFY_BOW_CANDIDATES?: string;
  /** Shared secret sent to the origin as a bearer token (set the same on both sides). */
  ORIGIN_TOKEN?: string;
}

export type OriginOutcome<T> =
  | { status: 'ok'; value: T; ms: number }
  | { status: 'disabled' | 'unavailable'; reason: string; ms: number };

export interface PairOutcome {
  id: string;
  status: 'verified' | 'rejected' | 'missing';
  /** 'bow': a candidate the origin added from its BoW shortlist. */
  source: 'candidate' | 'bow';
  geometry?: Geometry;
  ms?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;

function num(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) ? n : fallback;
}

/** Extra candidates the origin may add from its BoW shortlist, per search. */
export function bowCandidates(env: OriginEnv): number {
  return num(env.VERIFY_BOW_CANDIDATES, DEFAULT_BOW_SHORTLIST.candidates);
}

export function verifyBand(env: OriginEnv): RerankOptions {
  return {
    ...DEFAULT_RERANK,
    minScore: num(env.VERIFY_MIN_SCORE, DEFAULT_RERANK.minScore),
    maxScore: num(env.VERIFY_MAX_SCORE, DEFAULT_RERANK.maxScore),
    maxCandidates: num(env.VERIFY_MAX_CANDIDATES, DEFAULT_RERANK.maxCandidates),
  };
}

export class OriginClient {
  private readonly timeoutMs: number;

  /** `requestId` travels to the origin as x-request-id, so one search is one id in both logs. */
  constructor(private readonly env: OriginEnv, private readonly requestId?: string) {
    this.timeoutMs = num(env.VERIFY_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
  }

  get configured(): boolean {
    return Boolean(this.env.ORIGIN || this.env.ORIGIN_URL);
  }

  /** Hands a new reference to the origin, which extracts and stores its local features. */
  storeFeatures(namespace: string, id: string, image: Uint8Array) {
    return this.call<{ keypoints: number; bytes: number }>(`/v1/features/${id}?namespace=${namespace}`, { method: 'PUT', body: image });
  }

  /** Local features the caller already extracted (copycat upload), many references in one call. */
  storeFeaturesBatch(namespace: string, items: { id: string; features: Uint8Array }[]) {
    const form = new FormData();
    form.set('ids', JSON.stringify(items.map((x) => x.id)));
    items.forEach((x, i) => form.set(`features_${i}`, new Blob([x.features]), x.id));
    return this.call<{ count: number }>(`/v1/features/batch?namespace=${namespace}`, { method: 'POST', body: form });
  }

  deleteFeatures(namespace: string, id: string) {
    return this.call<{ deleted: boolean }>(`/v1/features/${id}?namespace=${namespace}`, { method: 'DELETE' }, [404]);
  }

  async verify(namespace: string, image: Uint8Array, ids: string[], shortlist = 0): Promise<OriginOutcome<PairOutcome[]>> {
    const form = new FormData();
    form.set('namespace', namespace);
    form.set('candidates', JSON.stringify(ids));
    form.set('shortlist', String(shortlist));
    form.set('image', new Blob([image]), 'query');
    type Result = Geometry & { id: string; status: PairOutcome['status']; source?: PairOutcome['source']; ms?: number; bowScore?: number };
    const r = await this.call<{ results: Result[] }>('/v1/verify', { method: 'POST', body: form });
    if (r.status !== 'ok') return r;
    const value = r.value.results.map(({ id, status, ms, source, bowScore: _, ...g }) => ({
      id, status, ms, source: source ?? 'candidate', geometry: status === 'missing' ? undefined : g,
    }));
    return { ...r, value };
  }

  private async call<T>(path: string, init: RequestInit, okStatuses: number[] = []): Promise<OriginOutcome<T>> {
    const t0 = Date.now();
    if (!this.configured) return { status: 'disabled', reason: 'no origin configured (set ORIGIN_URL or bind ORIGIN)', ms: 0 };
    try {
      const url = this.env.ORIGIN ? `https://origin${path}` : `${this.env.ORIGIN_URL!.replace(/\/$/, '')}${path}`;
      const headers: Record<string, string> = {};
      if (this.requestId) headers['x-request-id'] = this.requestId;
      if (this.env.ORIGIN_TOKEN) headers.authorization = `Bearer ${this.env.ORIGIN_TOKEN}`;
      const req = new Request(url, { ...init, headers, signal: AbortSignal.timeout(this.timeoutMs) });
      const res = await (this.env.ORIGIN ? this.env.ORIGIN.fetch(req) : fetch(req));
      const body = await res.json().catch(() => null) as (T & { error?: { message?: string } }) | null;
      if (!res.ok && !okStatuses.includes(res.status)) {
        return { status: 'unavailable', reason: `origin answered ${res.status}${body?.error?.message ? `: ${body.error.message}` : ''}`, ms: Date.now() - t0 };
      }
      return { status: 'ok', value: body as T, ms: Date.now() - t0 };
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const reason = timedOut ? `origin did not answer within ${this.timeoutMs} ms` : `origin unreachable: ${err instanceof Error ? err.message : String(err)}`;
      return { status: 'unavailable', reason, ms: Date.now() - t0 };
    }
  }
}
