import { packageBuild } from '../../tsup.base.js';

// Lua scripts are kept as .lua files and inlined as strings at build time.
export default packageBuild({ loader: { '.lua': 'text' } });
