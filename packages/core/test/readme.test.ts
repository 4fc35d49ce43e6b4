import { consumerDiagnostics, readmeExamples } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url);
const examples = readmeExamples(new URL('../README.md', import.meta.url));
const diagnostics = (source: string) => consumerDiagnostics(packageDir, source);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  it('compiles every example', { timeout: 60_000 }, () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(diagnostics(example)).toEqual([]);
  });
});
