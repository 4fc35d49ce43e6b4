import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { TownConfig } from '@tinytown/core';
import { createGitHubForge, type Forge, MissionService } from '@tinytown/mission';
import type { Town } from '@tinytown/store';
import Fastify, { type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { destination } from 'pino';
import type { App, RouteDeps, TownhallSettings } from './context.js';
import { optionalRequestBodies, tidyOpenApi } from './openapi.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { addDocsSecurityHeaders, type Lifecycle, registerHttpBehaviour } from './plugins/http.js';
import { registerHttpMetrics, TownhallMetrics } from './plugins/metrics.js';
import { RateLimiter, registerRateLimit } from './plugins/rate-limit.js';
import { registerRequestTimeout } from './plugins/timeout.js';
import { makeProblem } from './problem.js';
import { checkedSerializer } from './response-check.js';
import { agentRoutes } from './routes/agents.js';
import { backlogRoutes } from './routes/backlog.js';
import { eventRoutes } from './routes/events.js';
import { messageRoutes } from './routes/messages.js';
import { missionRoutes } from './routes/missions.js';
import { probeRoutes } from './routes/probes.js';
import { recoveryRoutes } from './routes/recovery.js';
import { taskRoutes } from './routes/tasks.js';
import { townRoutes } from './routes/town.js';

export const API_VERSION = '1.0.0';

/** Where log lines go: pino writes one JSON line per call. */
export interface LogDestination {
  write(line: string): void;
}

export interface TownhallLogOptions {
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Defaults to stdout. */
  destination?: LogDestination;
}

export interface BuildServerOptions {
  town: Town;
  config: TownConfig;
  /** The town directory, shown by `/v1/town`; doc objectives of missions are read from inside it. */
  root?: string;
  /**
   * The code host missions read issues and pull requests from. Default: GitHub through
   * `GITHUB_TOKEN` and `GITHUB_API_URL` (for GitHub Enterprise) from the environment. `null`: none, for
   * missions of design docs only; one with an issue objective is then refused (400 CONFIG_INVALID).
   */
  forge?: Forge | null;
  /** Structured logs (pino); `false` turns them off. Credentials are redacted either way. */
  logger?: TownhallLogOptions | false;
  /** Number of active missions for `/metrics`; defaults to the store’s active-mission index. */
  missionsActive?: () => Promise<number>;
  /** Length of a rate-limit window (default 60 s). */
  rateLimitWindowMs?: number;
  /** Register Node process metrics (default true). */
  processMetrics?: boolean;
  /** Turn the rate limiter off (benchmarks); by default it is on with the configured budgets. */
  rateLimits?: boolean;
  /**
   * Check every reply against its route's response schema and fail it (500) on a mismatch, including a
   * field the schema does not name. Off by default: it costs a parse per reply. Tests turn it on.
   */
  checkResponses?: boolean;
}

export type TownhallServer = App & { lifecycle: Lifecycle };

/** The `[townhall]` section with every default filled in. */
export function townhallSettings(config: TownConfig): TownhallSettings {
  return TownConfig.shape.townhall.unwrap().parse(config.townhall ?? {});
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function genReqId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const given = Array.isArray(header) ? header[0] : header;
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Stdout written synchronously. pino's default buffers and flushes at exit, and that flush retries a
 * broken pipe forever: with its reader gone (tt up killed outright, a log shipper that died) townhall
 * hung at its last log line instead of exiting. Written synchronously, the first EPIPE silences the
 * logger, and nothing is left to flush.
 */
function stdoutDestination(): LogDestination {
  return destination({ dest: 1, sync: true });
}

function loggerOptions(options: TownhallLogOptions | false | undefined): FastifyServerOptions['logger'] {
  if (options === false) return false;
  return {
    level: options?.level ?? 'info',
    stream: options?.destination ?? stdoutDestination(),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; headers: Record<string, unknown>; ip?: string }) {
        return {
          method: request.method,
          url: request.url,
          headers: request.headers,
          remoteAddress: request.ip,
        };
      },
    },
  };
}

/** A client that sends a request too slowly gets a problem too (the socket-level timeout). */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const problem = timedOut
    ? makeProblem(408, 'REQUEST_TIMEOUT', 'The request was not received in time')
    : makeProblem(400, 'BAD_REQUEST', 'The request could not be parsed as HTTP');
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Builds the townhall REST server over a connected town. The caller listens (and closes the town
 * after `close()`); nothing here touches Redis except through the town facade.
 */
export async function buildServer(options: BuildServerOptions): Promise<TownhallServer> {
  const settings = townhallSettings(options.config);
  const lifecycle: Lifecycle = { closing: false };
  const fastify = Fastify({
    logger: loggerOptions(options.logger),
    genReqId,
    bodyLimit: settings.body_limit_bytes,
    requestTimeout: settings.request_timeout_ms,
    trustProxy: settings.trust_proxy,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>() as App;
  app.setValidatorCompiler(validatorCompiler);
  // Replies are built to their response schema's type at compile time, so serializing is a plain
  // JSON.stringify (a zod encode per reply costs ~6x more on a 100-agent listing).
  app.setSerializerCompiler(
    options.checkResponses ? checkedSerializer : () => (data: unknown) => JSON.stringify(data),
  );
  // JSON only: any other body type is a 415, not a string a schema then rejects.
  app.removeContentTypeParser('text/plain');

  const metrics = new TownhallMetrics({ defaultMetrics: options.processMetrics !== false });
  const limiter = new RateLimiter(options.town, {
    limits: settings.rate_limits,
    ...(options.rateLimitWindowMs ? { windowMs: options.rateLimitWindowMs } : {}),
  });

  registerRequestTimeout(app, settings.request_timeout_ms);
  registerErrorHandling(app, settings.body_limit_bytes);
  registerHttpBehaviour(app, { corsOrigins: settings.cors_origins, lifecycle });
  registerAuth(app, settings, limiter);
  if (options.rateLimits !== false) registerRateLimit(app, limiter);
  registerHttpMetrics(app, metrics);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Townhall API',
        version: API_VERSION,
        description:
          'REST control plane of a Tinytown: agents, tasks, the backlog, messages, recovery, events and missions. Errors are application/problem+json with a stable `code`.',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      servers: [{ url: `http://localhost:${settings.rest_port}`, description: 'Local townhall' }],
      tags: [
        { name: 'Health', description: 'Probes, metrics and the scaling signal (no auth)' },
        { name: 'Town', description: 'Town information and status' },
        { name: 'Agents', description: 'Agent lifecycle management' },
        { name: 'Tasks', description: 'Task assignment and results' },
        { name: 'Backlog', description: 'Global backlog management' },
        { name: 'Messages', description: 'Inter-agent messaging' },
        { name: 'Recovery', description: 'Recovery and reclaim operations' },
        { name: 'Events', description: 'The town’s event stream' },
        {
          name: 'Missions',
          description:
            'Mission Mode: GitHub issues and docs compiled into a dependency graph of work items, assigned to agents, followed through review, CI and merge.',
        },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(async (docs: App) => {
    addDocsSecurityHeaders(docs);
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  });

  const root = options.root ?? process.cwd();
  // `null` is no forge at all (missions of design docs only); left out, GitHub from the environment.
  const forge =
    options.forge !== undefined
      ? options.forge
      : createGitHubForge({
          token: process.env.GITHUB_TOKEN?.trim() || undefined,
          baseUrl: process.env.GITHUB_API_URL?.trim() || undefined,
        });
  const deps: RouteDeps = {
    town: options.town,
    config: options.config,
    settings,
    root,
    metrics,
    startedAt: Date.now(),
    missionsActive: options.missionsActive ?? (() => options.town.missions.activeCount()),
    missions: new MissionService({ town: options.town, forge, townRoot: root }),
  };
  probeRoutes(app, deps);
  townRoutes(app, deps);
  agentRoutes(app, deps);
  taskRoutes(app, deps);
  backlogRoutes(app, deps);
  messageRoutes(app, deps);
  recoveryRoutes(app, deps);
  eventRoutes(app, deps);
  missionRoutes(app, deps);

  let document: unknown;
  app.get(
    '/openapi.json',
    { config: { routeClass: 'probe' }, schema: { hide: true } },
    async (_request, reply) => {
      document ??= optionalRequestBodies(
        tidyOpenApi(
          structuredClone(app.swagger()) as {
            paths?: Record<string, Record<string, unknown>>;
            components?: { schemas?: Record<string, unknown> };
          },
        ),
      );
      return reply
        .type('application/json; charset=utf-8')
        .serializer((payload: unknown) => JSON.stringify(payload))
        .send(document);
    },
  );

  await app.ready();
  return Object.assign(app, { lifecycle });
}
