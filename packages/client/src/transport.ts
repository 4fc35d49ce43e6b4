import { TinytownNetworkError, TinytownTimeoutError } from './errors.js';

export interface TransportOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** Attempts for a GET whose connection failed (writes are never retried). */
  getAttempts: number;
  /** First back-off delay; it doubles on each retry. */
  retryDelayMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses whose response has no body (a Response built with one would throw). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The response with its body already read, so a body that stalls or is cut off fails here, inside the
 * timeout and as the SDK's own errors, instead of later in the JSON parse with a bare DOMException or
 * TypeError. Townhall's answers are small JSON documents.
 */
async function readWhole(response: Response): Promise<Response> {
  const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
  const whole = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(whole, 'url', { value: response.url });
  return whole;
}

/**
 * A fetch that enforces a timeout, retries GETs whose connection failed with back-off, and turns transport
 * failures into the SDK's own error classes. Writes are sent once: a retried POST could do the work twice.
 */
export function createTransport(options: TransportOptions): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const attempts = request.method === 'GET' || request.method === 'HEAD' ? options.getAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      try {
        return await readWhole(await options.fetch(new Request(request.clone(), { signal })));
      } catch (error) {
        if (timeout.aborted) throw new TinytownTimeoutError(request.method, request.url, options.timeoutMs);
        if (request.signal?.aborted) throw error;
        if (attempt >= attempts)
          throw new TinytownNetworkError(request.method, request.url, { cause: error });
        await sleep(options.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  };
}
