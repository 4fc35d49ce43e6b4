import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The ```ts blocks of a README, in order. */
export function readmeExamples(readme: URL): string[] {
  const text = readFileSync(readme, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/**
 * A consumer's strictest settings (exact optional properties included), with the package's own `.d.ts`
 * checked too; NodeNext for Node, unless `overrides` say otherwise.
 */
export function strictConsumer(overrides: ts.CompilerOptions = {}): ts.CompilerOptions {
  return {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    skipLibCheck: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    ...overrides,
  };
}

/**
 * Type-checks `source` as a file of a project that installed the package: the file is virtual but placed
 * in the package's `test/` directory (`packageDir` is the package's URL), so the package's own name
 * resolves through its package.json `exports` to the built declarations. The extension of `fileName`
 * chooses ESM (`.mts`) or CommonJS (`.cts`). Returns the diagnostics as `file: message` lines.
 */
export function consumerDiagnostics(
  packageDir: URL,
  source: string,
  options: ts.CompilerOptions = strictConsumer(),
  fileName = 'consumer.mts',
): string[] {
  const path = fileURLToPath(new URL(`test/${fileName}`, packageDir));
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
