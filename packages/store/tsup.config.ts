import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Lua scripts are kept as .lua files and inlined as strings at build time.
  loader: { '.lua': 'text' },
});
