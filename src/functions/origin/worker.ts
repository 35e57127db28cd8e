/**
 * The origin deployed as a Worker (wrangler.origin.toml): reference features in Workers KV, codecs
 * as imported WASM modules. KV suits the access pattern (written once at index time, read by id at
 * verify time, eventually consistent across regions is acceptable for a re-ranker).
 */
import { createOriginApp } from './app.ts';
import { initEdgeCodecs } from '../edge/codecs.ts';
import type { FeatureStore } from './feature-store.ts';
import { createWasmNearest, type NearestKernel } from '../../core/local/nearest.ts';
import nearestWasm from '../../core/local/wasm/nearest.wasm';

interface OriginWorkerEnv {
  FEATURES: KVNamespace;
  /** Optional shared secret; a service binding is private already. */
  ORIGIN_TOKEN?: string;
}

class KvFeatureStore implements FeatureStore {
  constructor(private readonly kv: KVNamespace) {}
  async get(namespace: string, id: string) {
    const v = await this.kv.get(`${namespace}/${id}`, 'arrayBuffer');
    return v ? new Uint8Array(v) : null;
  }
  async put(namespace: string, id: string, bytes: Uint8Array) {
    await this.kv.put(`${namespace}/${id}`, bytes);
  }
  async delete(namespace: string, id: string) {
    const had = (await this.kv.get(`${namespace}/${id}`, 'arrayBuffer')) !== null;
    await this.kv.delete(`${namespace}/${id}`);
    return had;
  }
  async stats() {
    // Counting keys in KV means listing them all; not worth it on a stats call.
    return { images: null, bytes: null, backend: 'workers-kv' };
  }
}

// One app per isolate, so the decoded-features cache lives as long as the isolate does.
let app: ReturnType<typeof createOriginApp> | null = null;

let kernel: Promise<NearestKernel> | null = null;

export default {
  async fetch(req: Request, env: OriginWorkerEnv, ctx: ExecutionContext) {
    kernel ??= createWasmNearest(nearestWasm);
    app ??= createOriginApp({
      store: new KvFeatureStore(env.FEATURES), initCodecs: initEdgeCodecs, cacheBytes: 32 * 1024 * 1024, verify: { match: { kernel: await kernel } }, token: env.ORIGIN_TOKEN,
    });
    return app.fetch(req, env, ctx);
  },
};
