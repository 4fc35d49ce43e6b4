import { packageBuild } from '../../tsup.base.js';

// ESM for browsers and modern Node, CommonJS for older tooling: the same small bundle twice, no Node APIs.
export default packageBuild({ format: ['esm', 'cjs'], target: 'es2022', platform: 'neutral' });
