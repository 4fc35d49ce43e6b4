import { ApiKeyEntry, TinytownError, TownConfig } from '@tinytown/core';
import { createGitHubForge } from '@tinytown/mission';
import { describeIssues, evictionAdvice, loadTownConfig, Town } from '@tinytown/store';
import { z } from 'zod';
import { assertSafeBind } from './plugins/auth.js';
import { buildServer, type TownhallLogOptions, type TownhallServer, townhallSettings } from './server.js';

/** Environment variable holding API keys as JSON (`townhall keys create` prints it), for containers. */
export const KEYS_ENV = 'TINYTOWN_TOWNHALL_KEYS';
/** Where to listen, for containers: over `[townhall] bind` / `rest_port`, under `--bind` / `--port`. */
export const BIND_ENV = 'TINYTOWN_TOWNHALL_BIND';
export const PORT_ENV = 'TINYTOWN_TOWNHALL_PORT';
const SHUTDOWN_DEADLINE_MS = 10_000;

export interface RestOptions {
  /** Town directory (default: the current directory). */
  townDir?: string;
  bind?: string;
  port?: number;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: TownhallLogOptions | false;
  /** Stop on SIGTERM/SIGINT and exit the process (the bin does; embedders may not want it). */
  handleSignals?: boolean;
}

export interface RunningTownhall {
  app: TownhallServer;
  town: Town;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes Redis. */
  close(): Promise<void>;
}

/** Keys from the environment are added to the file's, and switch auth to api_key. */
function withEnvKeys(config: TownConfig, env: Readonly<Record<string, string | undefined>>): TownConfig {
  const raw = env[KEYS_ENV]?.trim();
  if (!raw) return config;
  const shape = 'a JSON array of {"name","hash","scopes"} objects, as \'townhall keys create\' prints it';
  const invalid = (detail: string) =>
    new TinytownError('CONFIG_INVALID', `${detail} (${KEYS_ENV} is ${shape})`, { field: KEYS_ENV });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw invalid(`Invalid ${KEYS_ENV}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const keys = EnvKeys.safeParse(json);
  if (!keys.success) throw invalid(describeIssues(keys.error, KEYS_ENV));
  const parsed = keys.data;
  const settings = townhallSettings(config);
  return {
    ...config,
    townhall: { ...settings, auth: { mode: 'api_key', keys: [...settings.auth.keys, ...parsed] } },
  };
}
const EnvKeys = z.array(ApiKeyEntry).min(1);

/** `TINYTOWN_TOWNHALL_BIND` and `TINYTOWN_TOWNHALL_PORT` over the file's `bind` and `rest_port`. */
function withEnvListen(config: TownConfig, env: Readonly<Record<string, string | undefined>>): TownConfig {
  const bind = env[BIND_ENV]?.trim() || undefined;
  const rawPort = env[PORT_ENV]?.trim() || undefined;
  if (bind === undefined && rawPort === undefined) return config;
  const settings = townhallSettings(config);
  let port = settings.rest_port;
  if (rawPort !== undefined) {
    const parsed = RestPort.safeParse(/^\d+$/.test(rawPort) ? Number(rawPort) : Number.NaN);
    if (!parsed.success) {
      throw new TinytownError(
        'CONFIG_INVALID',
        `${PORT_ENV} must be a port number 0-65535, got '${rawPort}'`,
        {
          field: PORT_ENV,
        },
      );
    }
    port = parsed.data;
  }
  return { ...config, townhall: { ...settings, bind: bind ?? settings.bind, rest_port: port } };
}
const RestPort = TownConfig.shape.townhall.unwrap().shape.rest_port;

/**
 * Says once, at start, when Redis may evict the town's keys. Advisory only: a failed check never stops
 * townhall, which keeps serving (and /ready keeps reporting) while Redis comes and goes.
 */
async function reportEvictionRisk(app: TownhallServer, town: Town): Promise<void> {
  try {
    const risk = await town.probes.evictionRisk();
    const advice = evictionAdvice(risk);
    if (advice?.level === 'warning') {
      app.log.warn({ policy: risk.policy, maxmemory_bytes: risk.maxmemoryBytes }, advice.text);
    } else if (advice) {
      app.log.info({ policy: risk.policy }, advice.text);
    }
  } catch (error) {
    app.log.info({ err: error }, 'cannot read the Redis maxmemory-policy');
  }
}

/** A listen that fails for a reason the operator can fix is said plainly (the bin prints no stack for it). */
function listenFailure(error: unknown, bind: string, port: number): unknown {
  const cause = { cause: error };
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new TinytownError(
        'CONFIG_INVALID',
        `Port ${port} on ${bind} is already in use: stop what holds it, or choose another port with --port (or [townhall] rest_port)`,
        { field: 'rest_port' },
        cause,
      );
    case 'EACCES':
      return new TinytownError(
        'CONFIG_INVALID',
        `Port ${port} needs privileges this process lacks: choose a port above 1023 with --port (or [townhall] rest_port)`,
        { field: 'rest_port' },
        cause,
      );
    case 'EADDRNOTAVAIL':
      return new TinytownError(
        'CONFIG_INVALID',
        `This machine has no address ${bind} to listen on: choose another with --bind (or [townhall] bind)`,
        { field: 'bind' },
        cause,
      );
    default:
      return error;
  }
}

export async function startRest(options: RestOptions = {}): Promise<RunningTownhall> {
  const env = options.env ?? process.env;
  const loaded = loadTownConfig(options.townDir ?? process.cwd(), env);
  const config = withEnvListen(withEnvKeys(loaded.config, env), env);
  const settings = townhallSettings(config);
  const bind = options.bind ?? settings.bind;
  const port = options.port ?? settings.rest_port;
  // Checked before touching Redis: an unsafe configuration never gets near the town.
  assertSafeBind(bind, settings);
  // The server's logger exists only once the server is built, after the connection it reports on.
  let app: TownhallServer | undefined;
  const town = await Town.connect({
    url: loaded.redisUrl,
    town: config.name,
    maxRetriesPerRequest: 3,
    // While Redis is down, requests get their 503 at once instead of after seconds of reconnect attempts.
    failFastWhileDown: true,
    connectionName: 'townhall',
    onConnectionLost: (reason) => app?.log.warn({ reason }, 'lost the Redis connection; reconnecting'),
    onConnectionRestored: (downMs) => app?.log.info({ down_ms: downMs }, 'the Redis connection is back'),
  });
  try {
    app = await buildServer({
      town,
      config,
      root: loaded.root,
      logger: options.logger ?? {},
      forge: createGitHubForge({
        token: env.GITHUB_TOKEN?.trim() || undefined,
        baseUrl: env.GITHUB_API_URL?.trim() || undefined,
      }),
    });
  } catch (error) {
    await town.close();
    throw error;
  }
  let url: string;
  try {
    url = await app.listen({ host: bind, port });
  } catch (error) {
    await app.close();
    await town.close();
    throw listenFailure(error, bind, port);
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      app.lifecycle.closing = true;
      await app.close();
      await town.close();
    })();
    return closing;
  };

  // Before the ready line: a SIGTERM as soon as townhall says it is ready still shuts it down gracefully.
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) return;
      app.log.info({ signal }, 'shutting down: finishing in-flight requests');
      const deadline = setTimeout(() => {
        app.log.error('in-flight requests did not finish within 10 s; exiting anyway');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      close().then(
        () => {
          app.log.info('townhall stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  app.log.info(
    { town: config.name, auth: settings.auth.mode, source: loaded.source },
    `townhall ready at ${url}`,
  );
  await reportEvictionRisk(app, town);

  return { app, town, url, close };
}
