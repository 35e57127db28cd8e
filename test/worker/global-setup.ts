// Runs in Node before the workerd tests: builds the fixture images and hands them over by provide().
import type { TestProject } from 'vitest/node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { buildFixtures } from '../support/fixtures.ts';
import { startReceiver } from '../support/receiver.ts';
import { startOriginServer } from '../../src/functions/node/origin.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fixtures = await buildFixtures();
  // The Node CLI's tiny-encoder vector for fixture a, so the workerd test can check both runtimes agree.
  const file = join(mkdtempSync(join(tmpdir(), 'copycat-fx-')), 'a.jpg');
  writeFileSync(file, Buffer.from(fixtures.a_jpg, 'base64'));
  const bin = new URL('../../bin/copycat.js', import.meta.url).pathname;
  const model = new URL('../../models/tiny-encoder.json', import.meta.url).pathname;
  const line = execFileSync('node', [bin, 'fingerprint', '--json', '--signals', 'embed', '--model', model, file], { encoding: 'utf8' });
  fixtures.tiny_embed_a = JSON.stringify(JSON.parse(line).embed);
  project.provide('fixtures', fixtures);
  // A real origin on loopback for the edge to call, and one that accepts connections but never
  // answers, for the timeout path.
  process.env.LOG_REQUESTS = 'false';
  const origin = await startOriginServer({ dir: mkdtempSync(join(tmpdir(), 'copycat-origin-')) });
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const receiver = await startReceiver({ 'a.jpg': Buffer.from(fixtures.a_jpg, 'base64'), 'a_copy.jpg': Buffer.from(fixtures.a_copy_jpg, 'base64') });
  project.provide('receiverUrl', receiver.url);
  project.provide('originUrl', origin.url);
  project.provide('silentOriginUrl', `http://127.0.0.1:${(silent.address() as { port: number }).port}`);
  return async () => {
    await origin.close();
    receiver.server.close();
    silent.close();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    fixtures: Record<string, string>;
    originUrl: string;
    receiverUrl: string;
    silentOriginUrl: string;
  }
}
