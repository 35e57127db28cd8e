/**
 * A webhook receiver on loopback for the tests: logs every request (headers and raw body, so the
 * test checks signatures itself), answers 500 to the first two requests of any /flaky path, and
 * serves images for image_url (404 for /img/missing.jpg).
 */
import { createServer, type Server } from 'node:http';

export interface Received { path: string; headers: Record<string, string>; body: string; at: number; answered: number }

export function startReceiver(images: Record<string, Uint8Array>): Promise<{ url: string; server: Server }> {
  const log: Received[] = [];
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method === 'GET' && path.startsWith('/_log')) {
        const want = new URL(path, 'http://x').searchParams.get('path');
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify(log.filter((r) => !want || r.path === want)));
      }
      if (req.method === 'GET' && path.startsWith('/img/')) {
        const img = images[path.slice(5)];
        res.statusCode = img ? 200 : 404;
        return res.end(img ? Buffer.from(img) : 'not found');
      }
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      const answered = path.startsWith('/down') || (path.startsWith('/flaky') && n <= 2) ? 500 : 200;
      log.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), answered });
      res.statusCode = answered;
      res.end(answered === 200 ? 'ok' : 'try again');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}
