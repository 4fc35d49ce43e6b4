import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

/** A consumer's strict settings (exact optional properties included), with the package's own .d.ts checked. */
const strictest: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  skipLibCheck: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: [],
};

/**
 * Type-checks `source` as a file of a project that installed the SDK: the file is virtual but placed in
 * this package, so `@tinytown/client` resolves through package.json `exports` to the built declarations.
 */
function diagnostics(fileName: string, source: string, options: ts.CompilerOptions): string[] {
  const path = `${packageDir}test/${fileName}`;
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => name === path || fileExists(name);
  host.readFile = (name) => (name === path ? source : readFile(name));
  host.getSourceFile = (name, version, ...rest) =>
    name === path ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const program = ts.createProgram([path], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
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
