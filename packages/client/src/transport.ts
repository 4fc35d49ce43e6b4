import { TinytownNetworkError, TinytownTimeoutError } from './errors.js';

export interface TransportOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** Attempts for a GET whose connection failed (writes are never retried). */
  getAttempts: number;
  /** First back-off delay; it doubles on each retry. */
  retryDelayMs: number;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (a back-off never outlives a cancel). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

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
 *
 * The caller's signal (the request's) is combined with the timeout. Once it aborts, the call rejects with
 * its reason, as fetch does: before an attempt nothing is sent, a back-off in progress ends at once, and
 * nothing is retried.
 */
export function createTransport(options: TransportOptions): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const cancel = request.signal;
    const attempts = request.method === 'GET' || request.method === 'HEAD' ? options.getAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      cancel.throwIfAborted();
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any([cancel, timeout]);
      try {
        return await readWhole(await options.fetch(new Request(request.clone(), { signal })));
      } catch (error) {
        // Whichever aborted first decides: the caller's cancel rejects with its reason, the timeout is ours.
        if (signal.aborted) {
          if (signal.reason === timeout.reason) {
            throw new TinytownTimeoutError(request.method, request.url, options.timeoutMs);
          }
          throw signal.reason;
        }
        if (attempt >= attempts)
          throw new TinytownNetworkError(request.method, request.url, { cause: error });
        await sleep(options.retryDelayMs * 2 ** (attempt - 1), cancel);
      }
    }
  };
}
