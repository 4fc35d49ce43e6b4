export { generateApiKey, hashApiKey, KeyVerifier, verifyApiKey } from './auth/keys.js';
export type { App, Principal, RouteClass, TownhallSettings } from './context.js';
export { exportOpenApi } from './export.js';
export { assertSafeBind, isLoopback } from './plugins/auth.js';
export { DEFAULT_RATE_LIMITS, RATE_CLASSES } from './plugins/rate-limit.js';
export type { FieldError, Problem, ProblemCode } from './problem.js';
export { type RestOptions, type RunningTownhall, startRest } from './rest.js';
export { recommend } from './routes/probes.js';
export {
  API_VERSION,
  type BuildServerOptions,
  buildServer,
  type LogDestination,
  type TownhallLogOptions,
  type TownhallServer,
  townhallSettings,
} from './server.js';
