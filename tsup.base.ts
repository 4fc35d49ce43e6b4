import { defineConfig, type Options } from 'tsup';

/** The one build every package shares: ESM with bundled `.d.ts`, for Node 20.19+. */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  });
}

/** Apps also build their bin entry (`src/main.ts`); declarations only for the library entry. */
export function appBuild(overrides: Options = {}) {
  return packageBuild({
    entry: ['src/index.ts', 'src/main.ts'],
    dts: { entry: 'src/index.ts' },
    ...overrides,
  });
}
