import type { components } from './generated/schema.js';

/**
 * The RFC 9457 problem document townhall's errors carry (`code` is Tinytown's stable error code such as
 * `AGENT_NOT_FOUND`; `errors` names the fields of an invalid request). Any field may be missing when
 * something other than townhall answered; a body that was not JSON is kept in `body`.
 */
export type ProblemDetails = Partial<Omit<components['schemas']['ProblemDetails'], 'code'>> & {
  code?: ProblemCode | (string & {});
  [extension: string]: unknown;
};

/**
 * The codes this version of townhall's API document lists. The `(string & {})` keeps the type open: a
 * gateway or a newer townhall may send a code this list does not have, and `HTTP_<status>` stands in for
 * a body without one.
 */
export type ProblemCode = components['schemas']['ProblemCode'];

/**
 * The SDK ships as ESM and as CommonJS, so an app whose dependencies load it both ways holds two copies of
 * these classes. Each error records the brands of its class chain under a global symbol, and `instanceof`
 * accepts an error made by either copy.
 */
const BRANDS = Symbol.for('@tinytown/client:error-brands');

/** An error of `kind` made by this copy of the SDK, or by another copy (which carries the brands). */
function isErrorOfKind(kind: typeof TinytownClientError, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(kind, value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const brands: unknown = (value as { [BRANDS]?: unknown })[BRANDS];
  return Array.isArray(brands) && brands.includes(kind.brand);
}

/** Base of every error the SDK throws, so one `instanceof` catches them all. */
export class TinytownClientError extends Error {
  /** What `instanceof` matches across copies of the SDK; each subclass has its own. */
  static readonly brand: string = 'TinytownClientError';
  override name = 'TinytownClientError';

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    const brands: string[] = [];
    for (let kind = new.target; kind !== TinytownClientError; kind = Object.getPrototypeOf(kind)) {
      if (!brands.includes(kind.brand)) brands.push(kind.brand);
    }
    brands.push(TinytownClientError.brand);
    Object.defineProperty(this, BRANDS, { value: brands });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof`, often a subclass
    return isErrorOfKind(this, value);
  }
}

/** The server answered with a non-2xx status. */
export class TinytownApiError extends TinytownClientError {
  static override readonly brand: string = 'TinytownApiError';
  override name = 'TinytownApiError';
  readonly status: number;
  /** The stable code from the problem document, or `HTTP_<status>` when the body had none. */
  readonly code: ProblemCode | (string & {});
  readonly title: string;
  readonly detail: string | undefined;
  readonly problem: ProblemDetails;
  readonly method: string;
  readonly url: string;
  /** Seconds the server asked to wait before trying again (its `Retry-After`, as on a 429 or 503). */
  readonly retryAfterSecs: number | undefined;

  constructor(
    response: { status: number; statusText?: string; headers?: Headers },
    problem: ProblemDetails,
    method: string,
    url: string,
  ) {
    // A JSON body that is not a problem document (some gateways answer so) may hold anything.
    const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
    const title =
      (typeof problem.title === 'string' ? problem.title : undefined) ||
      response.statusText ||
      `HTTP ${response.status}`;
    super(`${method} ${url} failed with ${response.status}: ${detail ?? title}`);
    this.status = response.status;
    this.code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
    this.title = title;
    this.detail = detail;
    this.problem = problem;
    this.method = method;
    this.url = url;
    this.retryAfterSecs = parseRetryAfter(response.headers?.get('retry-after') ?? null);
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * A 2xx answer that is not the JSON townhall sends: something else answered, such as a proxy's login or
 * error page served with 200. `body` holds the start of what came back.
 */
export class TinytownResponseError extends TinytownClientError {
  static override readonly brand: string = 'TinytownResponseError';
  override name = 'TinytownResponseError';
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string,
    readonly method: string,
    readonly url: string,
  ) {
    super(
      `${method} ${url} answered ${status} with ${contentType || 'no content type'} instead of JSON; is a proxy in the way?`,
    );
  }
}

/** The request never got an answer: connection refused, reset, DNS… */
export class TinytownNetworkError extends TinytownClientError {
  static override readonly brand: string = 'TinytownNetworkError';
  override name = 'TinytownNetworkError';
  constructor(
    readonly method: string,
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${url} could not reach the server`, options);
  }
}

/** The request took longer than `timeoutMs`. */
export class TinytownTimeoutError extends TinytownClientError {
  static override readonly brand: string = 'TinytownTimeoutError';
  override name = 'TinytownTimeoutError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`);
  }
}
