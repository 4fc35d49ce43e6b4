import { expect, it } from 'vitest';
import { consumerDiagnostics, readmeExamples } from './consumer-types.js';

/** A package's README examples, and a strict consumer's type-check of any source against the built package. */
export interface ReadmeConsumer {
  readonly examples: readonly string[];
  diagnostics(source: string): string[];
}

/** For a test file in `<package>/test/` (pass its `import.meta.url`): the package's README as a consumer reads it. */
export function readmeConsumer(testFile: string): ReadmeConsumer {
  const packageDir = new URL('..', testFile);
  return {
    examples: readmeExamples(new URL('README.md', packageDir)),
    diagnostics: (source) => consumerDiagnostics(packageDir, source),
  };
}

/**
 * The test every package README gets: it has examples, and each compiles. A compiler run takes tens of
 * seconds on a loaded machine, hence the long timeout.
 */
export function itCompilesEveryReadmeExample(readme: ReadmeConsumer): void {
  it('compiles every example', { timeout: 90_000 }, () => {
    expect(readme.examples.length).toBeGreaterThan(0);
    for (const example of readme.examples) expect(readme.diagnostics(example)).toEqual([]);
  });
}
