/**
 * Runs the origin app on Node (@hono/node-server) with features in files: what `npm start` starts
 * beside the edge, and what the tests start to check the edge against a real origin.
 */
import { serve, type ServerType } from '@hono/node-server';
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
}

export async function startOriginServer(o: OriginServerOptions): Promise<OriginServer> {
  const kernel = await loadNearestKernel();
  const app = createOriginApp({ store: new FileFeatureStore(o.dir), initCodecs: initNodeCodecs, cacheBytes: o.cacheBytes, verify: { match: { kernel } } });
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
    } catch (err) {
      reject(err);
    }
  });
}
