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
        return await options.fetch(new Request(request.clone(), { signal }));
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
