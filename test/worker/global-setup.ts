// Runs in Node before the workerd tests: builds the fixture images and hands them over by provide().
import type { TestProject } from 'vitest/node';
import { buildFixtures } from '../support/fixtures.ts';

export default async function setup(project: TestProject): Promise<void> {
  project.provide('fixtures', await buildFixtures());
}

declare module 'vitest' {
  export interface ProvidedContext {
    fixtures: Record<string, string>;
  }
}
