import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { type ProblemDetails, TinytownApiError, TinytownResponseError } from './errors.js';
import type { components, operations, paths } from './generated/schema.js';
import { createTransport } from './transport.js';

export interface TinytownClientOptions {
  /** Townhall's address, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key (sent as `Authorization: Bearer …`) when townhall runs with `auth.mode = "api_key"`. */
  apiKey?: string | undefined;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number | undefined;
  /** Attempts for GET requests whose connection failed (default 3). Writes are never retried. */
  getAttempts?: number | undefined;
}

/**
 * Optional fields also take `undefined`, so callers compiled with `exactOptionalPropertyTypes` can pass
 * `{ cli: options.cli }` through: JSON bodies and query strings leave an undefined field out alike.
 */
type AllowUndefined<T> = { [K in keyof T]: object extends Pick<T, K> ? T[K] | undefined : T[K] };
type JsonBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } }
  ? AllowUndefined<B>
  : never;
type Query<O> = O extends { parameters: { query?: infer Q } } ? AllowUndefined<NonNullable<Q>> : never;

/** A response body with the version townhall gave it (its ETag), for the `…IfChanged` calls. */
export interface Versioned<T> {
  etag: string | null;
  value: T;
}

interface FetchResult<T> {
  data?: T;
  response: Response;
}

/** The request each response answered, for errors raised after openapi-fetch hands the response back. */
const requestOf = new WeakMap<Response, Request>();

/**
 * The response body of a call that succeeded (failures were already thrown by `throwProblems`). Every
 * operation a friendly method calls answers 2xx with a JSON document, so a 2xx without one (an empty body)
 * is not townhall's answer: a TinytownResponseError, as a 2xx page that is not JSON is.
 */
async function ok<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, response } = await call;
  if (data === undefined) {
    const request = requestOf.get(response);
    throw new TinytownResponseError(
      response.status,
      response.headers.get('content-type') ?? '',
      '',
      request?.method ?? '',
      request?.url ?? response.url,
    );
  }
  return data;
}

async function readProblem(response: Response): Promise<ProblemDetails> {
  const text = await response.clone().text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as ProblemDetails;
  } catch {
    // Not JSON: a proxy or load balancer answered.
  }
  // Its page (an nginx 502, say) is kept for inspection but out of the error's one-line message.
  return text === '' ? {} : { body: text.slice(0, 500) };
}

/** Every non-2xx answer, for the raw client and the friendly methods alike, becomes a TinytownApiError. */
const throwProblems: Middleware = {
  async onResponse({ request, response, options }) {
    requestOf.set(response, request);
    // 304 only ever answers a conditional GET the caller asked for: "still the version you hold".
    if (response.status === 304) return undefined;
    if (!response.ok) {
      throw new TinytownApiError(response, await readProblem(response), request.method, request.url);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (options.parseAs === 'json' && !isJson(contentType)) {
      // An empty body is no document at all (openapi-fetch gives `undefined`), not someone else's page.
      const body = await response.clone().text();
      if (body !== '') {
        throw new TinytownResponseError(
          response.status,
          contentType,
          body.slice(0, 500),
          request.method,
          request.url,
        );
      }
    }
    return undefined;
  },
};

const isJson = (contentType: string) => /^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim());

/** Per-call options: every friendly method takes them as its last, optional argument. */
export interface TinytownRequestOptions {
  /**
   * Cancels the call. Once it aborts, the call rejects with `signal.reason`, as fetch does: an `AbortError`
   * DOMException from `controller.abort()`, a `TimeoutError` DOMException from `AbortSignal.timeout()`, or
   * the reason you gave `abort(reason)`. An already aborted signal sends nothing, a back-off between GET
   * attempts ends at once, and an aborted call is never retried. The client's `timeoutMs` still applies.
   */
  signal?: AbortSignal | undefined;
}

/**
 * A friendly call's openapi-fetch options: its own fields (path, query, body, headers) plus the caller's
 * per-call options. The one place those become request options.
 */
function request(options: TinytownRequestOptions | undefined): { signal: AbortSignal | undefined };
function request<T extends object>(
  options: TinytownRequestOptions | undefined,
  fields: T,
): T & { signal: AbortSignal | undefined };
function request(options: TinytownRequestOptions | undefined, fields: object = {}) {
  return { ...fields, signal: options?.signal };
}

const agentPath = (agent: string) => ({ params: { path: { agent } } });
const taskPath = (task_id: string) => ({ params: { path: { task_id } } });
const missionPath = (mission_id: string) => ({ path: { mission_id } });

/**
 * A typed client for townhall. `raw` is the openapi-fetch client (every path and shape typed from the
 * document); the groups around it are the same calls with the response body returned and any non-2xx
 * thrown as a `TinytownApiError`. Every friendly method takes per-call options (`{ signal }`) last.
 */
export function createTinytownClient(options: TinytownClientOptions) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const raw: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers,
    fetch: createTransport({
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.timeoutMs ?? 30_000,
      getAttempts: options.getAttempts ?? 3,
      retryDelayMs: 100,
    }),
  });
  raw.use(throwProblems);

  return {
    raw,
    health: {
      live: (opts?: TinytownRequestOptions) => ok(raw.GET('/health', request(opts))),
      healthz: (opts?: TinytownRequestOptions) => ok(raw.GET('/healthz', request(opts))),
      readyz: (opts?: TinytownRequestOptions) => ok(raw.GET('/readyz', request(opts))),
      ready: (opts?: TinytownRequestOptions) => ok(raw.GET('/ready', request(opts))),
      scaling: (opts?: TinytownRequestOptions) => ok(raw.GET('/api/scaling', request(opts))),
      metrics: async (opts?: TinytownRequestOptions): Promise<string> =>
        (await raw.GET('/metrics', request(opts, { parseAs: 'text' as const }))).data as string,
    },
    town: {
      get: (opts?: TinytownRequestOptions) => ok(raw.GET('/v1/town', request(opts))),
      status: (query?: Query<operations['getStatus']>, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/status', request(opts, { params: { query } }))),
    },
    agents: {
      list: (opts?: TinytownRequestOptions) => ok(raw.GET('/v1/agents', request(opts))),
      /**
       * For pollers: the listing with its version, or null while it is still the version `etag` names
       * (townhall answers 304 without a body, so an unchanged listing costs almost nothing).
       */
      listIfChanged: async (
        etag?: string,
        opts?: TinytownRequestOptions,
      ): Promise<Versioned<components['schemas']['AgentList']> | null> => {
        const { data, response } = await raw.GET(
          '/v1/agents',
          request(opts, etag === undefined ? {} : { headers: { 'if-none-match': etag } }),
        );
        if (response.status === 304) return null;
        return { etag: response.headers.get('etag'), value: data as components['schemas']['AgentList'] };
      },
      get: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/agents/{agent}', request(opts, agentPath(agent)))),
      spawn: (body: JsonBody<operations['spawnAgent']>, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents', request(opts, { body }))),
      kill: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/{agent}/kill', request(opts, agentPath(agent)))),
      restart: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/{agent}/restart', request(opts, agentPath(agent)))),
      interrupt: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/{agent}/interrupt', request(opts, agentPath(agent)))),
      resume: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/{agent}/resume', request(opts, agentPath(agent)))),
      close: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/{agent}/close', request(opts, agentPath(agent)))),
      prune: (body: JsonBody<operations['pruneAgents']> = {}, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/agents/prune', request(opts, { body }))),
      inbox: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/agents/{agent}/inbox', request(opts, agentPath(agent)))),
    },
    tasks: {
      assign: (body: JsonBody<operations['assignTask']>, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/tasks/assign', request(opts, { body }))),
      pending: (opts?: TinytownRequestOptions) => ok(raw.GET('/v1/tasks/pending', request(opts))),
      list: (query?: Query<operations['listTasks']>, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/tasks', request(opts, { params: { query } }))),
      get: (taskId: string, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/tasks/{task_id}', request(opts, taskPath(taskId)))),
      complete: (
        taskId: string,
        body: JsonBody<operations['completeTask']> = {},
        opts?: TinytownRequestOptions,
      ) => ok(raw.POST('/v1/tasks/{task_id}/complete', request(opts, { ...taskPath(taskId), body }))),
      fail: (taskId: string, body: JsonBody<operations['failTask']> = {}, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/tasks/{task_id}/fail', request(opts, { ...taskPath(taskId), body }))),
    },
    backlog: {
      list: (opts?: TinytownRequestOptions) => ok(raw.GET('/v1/backlog', request(opts))),
      add: (body: JsonBody<operations['addToBacklog']>, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/backlog', request(opts, { body }))),
      claim: (taskId: string, agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/backlog/{task_id}/claim', request(opts, { ...taskPath(taskId), body: { agent } }))),
      assignAll: (agent: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/backlog/assign-all', request(opts, { body: { agent } }))),
      remove: (taskId: string, opts?: TinytownRequestOptions) =>
        ok(raw.DELETE('/v1/backlog/{task_id}', request(opts, taskPath(taskId)))),
    },
    messages: {
      send: (body: JsonBody<operations['sendMessage']>, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/messages/send', request(opts, { body }))),
    },
    recovery: {
      recover: (opts?: TinytownRequestOptions) => ok(raw.POST('/v1/recover', request(opts))),
      reclaim: (body: JsonBody<operations['reclaim']> = {}, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/reclaim', request(opts, { body }))),
      orphanTasks: (body: JsonBody<operations['reclaimOrphanTasks']> = {}, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/reclaim/orphan-tasks', request(opts, { body }))),
    },
    events: {
      list: (query?: Query<operations['listEvents']>, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/events', request(opts, { params: { query } }))),
    },
    missions: {
      list: (query?: Query<operations['listMissions']>, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/missions', request(opts, { params: { query } }))),
      start: (body: JsonBody<operations['startMission']>, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/missions', request(opts, { body }))),
      get: (
        missionId: string,
        query?: Query<operations['getMissionStatus']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.GET(
            '/v1/missions/{mission_id}',
            request(opts, { params: { ...missionPath(missionId), query } }),
          ),
        ),
      delete: (
        missionId: string,
        query?: Query<operations['deleteMission']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.DELETE(
            '/v1/missions/{mission_id}',
            request(opts, { params: { ...missionPath(missionId), query } }),
          ),
        ),
      resume: (missionId: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/missions/{mission_id}/resume', request(opts, { params: missionPath(missionId) }))),
      stop: (missionId: string, body?: JsonBody<operations['stopMission']>, opts?: TinytownRequestOptions) =>
        ok(
          raw.POST('/v1/missions/{mission_id}/stop', request(opts, { params: missionPath(missionId), body })),
        ),
      complete: (missionId: string, opts?: TinytownRequestOptions) =>
        ok(raw.POST('/v1/missions/{mission_id}/complete', request(opts, { params: missionPath(missionId) }))),
      fail: (missionId: string, body?: JsonBody<operations['failMission']>, opts?: TinytownRequestOptions) =>
        ok(
          raw.POST('/v1/missions/{mission_id}/fail', request(opts, { params: missionPath(missionId), body })),
        ),
      notes: (missionId: string, opts?: TinytownRequestOptions) =>
        ok(raw.GET('/v1/missions/{mission_id}/notes', request(opts, { params: missionPath(missionId) }))),
      addNote: (
        missionId: string,
        body: JsonBody<operations['addMissionNote']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.POST(
            '/v1/missions/{mission_id}/notes',
            request(opts, { params: missionPath(missionId), body }),
          ),
        ),
      workItems: (
        missionId: string,
        query?: Query<operations['listWorkItems']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.GET(
            '/v1/missions/{mission_id}/work',
            request(opts, { params: { ...missionPath(missionId), query } }),
          ),
        ),
      workItem: (missionId: string, workItemId: string, opts?: TinytownRequestOptions) =>
        ok(
          raw.GET(
            '/v1/missions/{mission_id}/work/{work_item_id}',
            request(opts, { params: { path: { mission_id: missionId, work_item_id: workItemId } } }),
          ),
        ),
      updateWorkItem: (
        missionId: string,
        workItemId: string,
        body: JsonBody<operations['updateWorkItem']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.PATCH(
            '/v1/missions/{mission_id}/work/{work_item_id}',
            request(opts, { params: { path: { mission_id: missionId, work_item_id: workItemId } }, body }),
          ),
        ),
      watches: (
        missionId: string,
        query?: Query<operations['listWatchItems']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.GET(
            '/v1/missions/{mission_id}/watches',
            request(opts, { params: { ...missionPath(missionId), query } }),
          ),
        ),
      snoozeWatch: (
        missionId: string,
        watchId: string,
        body: JsonBody<operations['snoozeWatch']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.POST(
            '/v1/missions/{mission_id}/watches/{watch_id}/snooze',
            request(opts, { params: { path: { mission_id: missionId, watch_id: watchId } }, body }),
          ),
        ),
      events: (
        missionId: string,
        query?: Query<operations['getMissionEvents']>,
        opts?: TinytownRequestOptions,
      ) =>
        ok(
          raw.GET(
            '/v1/missions/{mission_id}/events',
            request(opts, { params: { ...missionPath(missionId), query } }),
          ),
        ),
    },
  };
}

export type TinytownClient = ReturnType<typeof createTinytownClient>;
