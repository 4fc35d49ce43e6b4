import { readFileSync } from 'node:fs';
import { consumerDiagnostics, readmeExamples, strictConsumer } from '@tinytown/testkit';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = readmeExamples(new URL('../README.md', import.meta.url));

/** The SDK also runs in browsers: no @types/node, the DOM's fetch. */
const strictest = strictConsumer({ lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], types: [] });

function diagnostics(fileName: string, source: string, options: ts.CompilerOptions): string[] {
  return consumerDiagnostics(packageDir, source, options, fileName);
}

// The README's `process.env` is Node's; declared here so the check needs no @types/node.
const ambient = 'declare const process: { env: Record<string, string | undefined> };\n';

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it('links only to absolute URLs (npm shows the README away from the repository)', () => {
    const targets = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1] ?? '');
    expect(targets.filter((target) => !/^https:\/\//.test(target))).toEqual([]);
  });

  it.each([
    ['NodeNext (ESM)', 'readme.mts', ts.ModuleKind.NodeNext, ts.ModuleResolutionKind.NodeNext],
    ['Bundler', 'readme.ts', ts.ModuleKind.ESNext, ts.ModuleResolutionKind.Bundler],
  ] as const)('%s', (_label, fileName, module, moduleResolution) => {
    for (const example of examples) {
      expect(diagnostics(fileName, ambient + example, { ...strictest, module, moduleResolution })).toEqual(
        [],
      );
    }
  });

  it('optional fields take undefined (a value passed through) with exactOptionalPropertyTypes', () => {
    const source = `import { createTinytownClient } from '@tinytown/client';
const town = createTinytownClient({ baseUrl: 'http://127.0.0.1:8080' });
export function spawn(name: string, cli: string | undefined, state: 'running' | undefined) {
  return [town.agents.spawn({ name, cli }), town.tasks.list({ state, agent: undefined })];
}
`;
    expect(
      diagnostics('passthrough.ts', source, {
        ...strictest,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
      }),
    ).toEqual([]);
  });

  it('NodeNext (CommonJS)', () => {
    const source = `${ambient}import { createTinytownClient, TinytownApiError } from '@tinytown/client';
const town = createTinytownClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.TINYTOWN_API_KEY });
export const roster = town.agents.list().catch((error: unknown) => error instanceof TinytownApiError);
`;
    expect(
      diagnostics('readme.cts', source, {
        ...strictest,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
      }),
    ).toEqual([]);
  });
});
