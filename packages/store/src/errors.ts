import { ERROR_CODES, type ErrorCode, TinytownError } from '@tinytown/core';

const SCRIPT_ERROR_MARKER = 'TINYTOWN ';

function scriptError(message: string): TinytownError | undefined {
  const at = message.indexOf(SCRIPT_ERROR_MARKER);
  if (at < 0) return undefined;
  const start = message.indexOf('{', at);
  const end = message.lastIndexOf('}');
  try {
    const parsed = JSON.parse(message.slice(start, end + 1)) as {
      code: string;
      message: string;
      details?: Record<string, unknown> | unknown[];
    };
    if (!(parsed.code in ERROR_CODES)) return undefined;
    const details = Array.isArray(parsed.details) ? {} : (parsed.details ?? {});
    return new TinytownError(parsed.code as ErrorCode, parsed.message, details);
  } catch {
    return undefined;
  }
}

const CONNECTION_FAILURES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ETIMEDOUT',
  'EPIPE',
  'Connection is closed',
  'Reached the max retries',
  "Stream isn't writeable",
  'connect ETIMEDOUT',
  'Command timed out',
  'LOADING',
];

/** ioredis's own wording names its options; a person running tt or reading a log wants what happened. */
function plainConnectionFailure(message: string): string {
  const retries = /Reached the max retries per request limit \(which is (\d+)\)/.exec(message);
  if (retries) {
    const attempts = Number(retries[1]);
    return `still no connection after ${attempts} reconnect attempt${attempts === 1 ? '' : 's'}`;
  }
  if (message.includes('enableOfflineQueue')) return 'the connection is down; reconnecting';
  return message;
}

/** Maps what ioredis throws onto Tinytown's error family; anything unrecognised is passed through. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof TinytownError) return error;
  if (!(error instanceof Error)) return error;
  const typed = scriptError(error.message);
  if (typed) return typed;
  if (CONNECTION_FAILURES.some((marker) => error.message.includes(marker))) {
    return new TinytownError(
      'REDIS_UNAVAILABLE',
      `Redis is unavailable: ${plainConnectionFailure(error.message)}`,
      {},
      { cause: error },
    );
  }
  if (/WRONGPASS|NOAUTH/.test(error.message)) {
    return new TinytownError(
      'REDIS_UNAVAILABLE',
      `Redis authentication failed: ${error.message}`,
      {},
      {
        cause: error,
      },
    );
  }
  return error;
}

/** Awaits a Redis call and rethrows its failure as a TinytownError where one applies. */
export async function redisCall<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toStoreError(error);
  }
}

/** A count of things to read: a whole number of at least 1, or INVALID_INPUT naming the field. */
export function requireLimit(limit: number, field = 'limit'): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TinytownError('INVALID_INPUT', `${field}: must be a whole number of at least 1`, {
      field,
      value: limit,
    });
  }
  return limit;
}
