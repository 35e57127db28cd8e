/**
 * Runs the origin app on Node (@hono/node-server) with features in files: what `npm start` starts
 * beside the edge, and what the tests start to check the edge against a real origin.
 */
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { Vocabulary } from '../../core/local/index.ts';
import { DEFAULT_BOW_SHORTLIST } from '../../core/verify/shortlist.ts';
import { BowShortlist } from '../origin/bow-shortlist.ts';
import { createOriginApp } from '../origin/app.ts';
import { initNodeCodecs } from './codecs.ts';
import { FileFeatureStore } from './feature-files.ts';
import { loadNearestKernel } from './nearest-wasm.ts';

export interface OriginServer {
  url: string;
  close(): Promise<void>;
}

export interface OriginServerOptions {
  dir: string;
  port?: number;
  host?: string;
  cacheBytes?: number;
  /** The ORB vocabulary of the BoW shortlist (default models/orb-vocab.bin). */
  vocabulary?: string;
  /** Shared secret the edge must present (ORIGIN_TOKEN); unset on loopback. */
  token?: string;
}

const DEFAULT_VOCABULARY = new URL('../../../models/orb-vocab.bin', import.meta.url);

export async function startOriginServer(o: OriginServerOptions): Promise<OriginServer> {
  const kernel = await loadNearestKernel();
  const vocabulary = Vocabulary.fromBytes(new Uint8Array(readFileSync(o.vocabulary ?? DEFAULT_VOCABULARY)));
  const app = createOriginApp({
    store: new FileFeatureStore(o.dir), initCodecs: initNodeCodecs, cacheBytes: o.cacheBytes, verify: { match: { kernel } },
    shortlist: new BowShortlist(vocabulary, DEFAULT_BOW_SHORTLIST.maxSignatureDistance), token: o.token,
  });
  const host = o.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: host }, (info) => {
        resolve({
          url: `http://${host}:${info.port}`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
      server.on('error', reject);
      // A client that trickles its request in (slowloris) is cut off instead of holding a socket.
      const http = server as unknown as { requestTimeout: number; headersTimeout: number };
      http.requestTimeout = 60_000;
      http.headersTimeout = 20_000;
    } catch (err) {
      reject(err);
    }
  });
}
