import { packageBuild } from '../../tsup.base.js';

// ESM for browsers and modern Node, CommonJS for older tooling: the same small bundle twice, no Node APIs.
// openapi-fetch is bundled in: its CommonJS build only has a default export that esbuild's interop for a
// `"type": "module"` package does not find (`createClient` was the whole module object under require()).
export default packageBuild({
  format: ['esm', 'cjs'],
  target: 'es2022',
  platform: 'neutral',
  noExternal: ['openapi-fetch'],
});
