import { TinytownError } from '@tinytown/core';
import { Redis, type RedisOptions } from 'ioredis';
import { toStoreError } from './errors.js';

export const MIN_REDIS_VERSION = [7, 0] as const;

export interface ConnectionOptions {
  /** How many times a command is retried while the connection is being re-established. */
  maxRetriesPerRequest?: number | null | undefined;
  /** Milliseconds a command may wait for a reply before failing (off by default). */
  commandTimeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  /** Name reported in CLIENT LIST, to tell townhall, workers and agents apart. */
  connectionName?: string | undefined;
  /**
   * Hears connection errors (refused, reset, auth) as they happen. Commands still fail or wait on their
   * own; without a listener ioredis would print every reconnect attempt as an unhandled error.
   */
  onConnectionError?: ((error: Error) => void) | undefined;
  /**
   * Hears an established connection drop, once per outage, with the reason. Commands meanwhile wait for
   * the reconnect (up to `maxRetriesPerRequest` attempts), so without this a long-running process is
   * silent about an outage until its commands start failing.
   */
  onConnectionLost?: ((reason: string) => void) | undefined;
  /** Hears the connection come back after `onConnectionLost`, with how long it was down. */
  onConnectionRestored?: ((downMs: number) => void) | undefined;
  /**
   * Once a reconnect attempt has failed, commands fail at once (`REDIS_UNAVAILABLE`) instead of waiting
   * through `maxRetriesPerRequest` more attempts (seconds each once the back-off has grown), until the
   * connection is back. For servers: a caller gets its 503 now. A blip that the first reconnect mends
   * still only delays commands.
   */
  failFastWhileDown?: boolean | undefined;
}

/**
 * Turns a `redis://`, `rediss://` or `unix://` URL into ioredis options. Credentials are
 * percent-decoded, so a password may hold any character (`@:/%#` encoded as `%40%3A%2F%25%23`).
 * A socket URL is `unix:///path/to.sock`, with optional `unix://:password@/path` or `?password=`.
 */
export function parseRedisUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TinytownError('CONFIG_INVALID', `Invalid Redis URL '${redactRedisUrl(url)}'`, {
      field: 'redis_url',
    });
  }
  const password = parsed.password
    ? decodeURIComponent(parsed.password)
    : parsed.searchParams.get('password');
  const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const auth: RedisOptions = {
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
  };
  const db = parsed.searchParams.get('db');
  switch (parsed.protocol) {
    case 'unix:':
      if (!parsed.pathname) throw new TinytownError('CONFIG_INVALID', `Redis socket URL has no path: ${url}`);
      return { ...auth, path: decodeURIComponent(parsed.pathname), ...(db ? { db: Number(db) } : {}) };
    case 'redis:':
    case 'rediss:': {
      const dbFromPath = parsed.pathname.replace(/^\//, '');
      return {
        ...auth,
        host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
        port: parsed.port ? Number(parsed.port) : 6379,
        ...(dbFromPath ? { db: Number(dbFromPath) } : {}),
        ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      };
    }
    default:
      throw new TinytownError(
        'CONFIG_INVALID',
        `Unsupported Redis URL scheme '${parsed.protocol}': use redis://, rediss:// or unix://`,
        { field: 'redis_url' },
      );
  }
}

/** The URL with its password replaced by `****`, safe for logs and status output. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)([^@/]*)@/i, (_match, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(':');
    return colon < 0 ? `${scheme}****@` : `${scheme}${credentials.slice(0, colon)}:****@`;
  });
}

/** Opens a connection that reconnects on its own (backing off to 2 s) and re-queues commands meanwhile. */
export function openRedis(url: string, options: ConnectionOptions = {}): Redis {
  const redis = new Redis({
    ...parseRedisUrl(url),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    // A replica or a restarting server answers LOADING / READONLY for a while: reconnect and retry.
    reconnectOnError: (error) => /READONLY|LOADING/.test(error.message),
  });
  redis.on('error', options.onConnectionError ?? (() => {}));
  reportOutages(redis, options);
  if (options.failFastWhileDown) failFastWhileDown(redis);
  return redis;
}

/** Commands stop queueing for the reconnect once one attempt has failed, and queue again when it is back. */
function failFastWhileDown(redis: Redis): void {
  let reconnects = 0;
  redis.on('reconnecting', () => {
    reconnects += 1;
    // The first 'reconnecting' follows the drop; the second means that reconnect attempt failed.
    if (reconnects >= 2) redis.options.enableOfflineQueue = false;
  });
  redis.on('ready', () => {
    reconnects = 0;
    redis.options.enableOfflineQueue = true;
  });
}

/**
 * One `onConnectionLost` per outage and one `onConnectionRestored` when it ends. Only a connection that
 * was once ready can be lost: a first connect that fails is the caller's error, and `quit()` does not
 * reconnect, so closing is no outage.
 */
function reportOutages(redis: Redis, options: ConnectionOptions): void {
  const { onConnectionLost, onConnectionRestored } = options;
  if (!onConnectionLost && !onConnectionRestored) return;
  let established = false;
  let lostAt: number | null = null;
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  redis.on('ready', () => {
    established = true;
    lastError = undefined;
    if (lostAt === null) return;
    const downMs = Date.now() - lostAt;
    lostAt = null;
    onConnectionRestored?.(downMs);
  });
  redis.on('reconnecting', () => {
    if (!established || lostAt !== null) return;
    lostAt = Date.now();
    onConnectionLost?.(lastError?.message ?? 'the server closed the connection');
  });
}

export function parseRedisVersion(info: string): [number, number, number] {
  const match =
    /redis_version:(\d+)\.(\d+)(?:\.(\d+))?/.exec(info) ??
    /valkey_version:(\d+)\.(\d+)(?:\.(\d+))?/.exec(info);
  if (!match) return [0, 0, 0];
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/**
 * Connects, then refuses servers older than 7.0 with a clear error. A failure to connect names the server
 * and the socket's own reason (ECONNREFUSED, ENOENT…), which ioredis only reports as an `error` event.
 */
export async function connectRedis(url: string, options: ConnectionOptions = {}): Promise<Redis> {
  const redis = openRedis(url, options);
  let socketError: Error | undefined;
  const rememberSocketError = (error: Error) => {
    socketError = error;
  };
  redis.on('error', rememberSocketError);
  try {
    await redis.connect();
    const info = await redis.info('server');
    const [major, minor, patch] = parseRedisVersion(info);
    if (major < MIN_REDIS_VERSION[0]) {
      throw new TinytownError(
        'REDIS_TOO_OLD',
        `Redis at ${redactRedisUrl(url)} is version ${major}.${minor}.${patch}; Tinytown needs ${MIN_REDIS_VERSION.join('.')} or newer`,
        { version: `${major}.${minor}.${patch}` },
      );
    }
    return redis;
  } catch (error) {
    redis.disconnect();
    const mapped = toStoreError(error);
    if (mapped instanceof TinytownError && mapped.code !== 'REDIS_UNAVAILABLE') throw mapped;
    const reason = socketError ?? error;
    throw new TinytownError(
      'REDIS_UNAVAILABLE',
      `Cannot connect to Redis at ${redactRedisUrl(url)}: ${reason instanceof Error ? reason.message : String(reason)}`,
      {},
      { cause: error },
    );
  } finally {
    redis.off('error', rememberSocketError);
  }
}
