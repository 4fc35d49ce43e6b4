export {
  createTinytownClient,
  type TinytownClient,
  type TinytownClientOptions,
  type TinytownRequestOptions,
  type Versioned,
} from './client.js';
export {
  type ProblemCode,
  type ProblemDetails,
  TinytownApiError,
  TinytownClientError,
  TinytownNetworkError,
  TinytownResponseError,
  TinytownTimeoutError,
} from './errors.js';
export type { components, operations, paths } from './generated/schema.js';
