// Runs in Node before the workerd tests: builds the fixture images and hands them over by provide().
import type { TestProject } from 'vitest/node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtures } from '../support/fixtures.ts';

export default async function setup(project: TestProject): Promise<void> {
  const fixtures = await buildFixtures();
  // The Node CLI's tiny-encoder vector for fixture a, so the workerd test can check both runtimes agree.
  const file = join(mkdtempSync(join(tmpdir(), 'copycat-fx-')), 'a.jpg');
  writeFileSync(file, Buffer.from(fixtures.a_jpg, 'base64'));
  const bin = new URL('../../bin/copycat.js', import.meta.url).pathname;
  const model = new URL('../../models/tiny-encoder.json', import.meta.url).pathname;
  const line = execFileSync('node', [bin, 'fingerprint', '--json', '--signals', 'embed', '--model', model, file], { encoding: 'utf8' });
  fixtures.tiny_embed_a = JSON.stringify(JSON.parse(line).embed);
  project.provide('fixtures', fixtures);
}

declare module 'vitest' {
  export interface ProvidedContext {
    fixtures: Record<string, string>;
  }
}
