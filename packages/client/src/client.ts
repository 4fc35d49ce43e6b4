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

/** The response body of a call that succeeded (failures were already thrown by `throwProblems`). */
async function ok<T>(call: Promise<FetchResult<T>>): Promise<T> {
  return (await call).data as T;
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

const agentPath = (agent: string) => ({ params: { path: { agent } } });
const taskPath = (task_id: string) => ({ params: { path: { task_id } } });
const missionPath = (mission_id: string) => ({ path: { mission_id } });

/**
 * A typed client for townhall. `raw` is the openapi-fetch client (every path and shape typed from the
 * document); the groups around it are the same calls with the response body returned and any non-2xx
 * thrown as a `TinytownApiError`.
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
      live: () => ok(raw.GET('/health')),
      healthz: () => ok(raw.GET('/healthz')),
      readyz: () => ok(raw.GET('/readyz')),
      ready: () => ok(raw.GET('/ready')),
      scaling: () => ok(raw.GET('/api/scaling')),
      metrics: async (): Promise<string> => (await raw.GET('/metrics', { parseAs: 'text' })).data as string,
    },
    town: {
      get: () => ok(raw.GET('/v1/town')),
      status: (query?: Query<operations['getStatus']>) => ok(raw.GET('/v1/status', { params: { query } })),
    },
    agents: {
      list: () => ok(raw.GET('/v1/agents')),
      /**
       * For pollers: the listing with its version, or null while it is still the version `etag` names
       * (townhall answers 304 without a body, so an unchanged listing costs almost nothing).
       */
      listIfChanged: async (etag?: string): Promise<Versioned<components['schemas']['AgentList']> | null> => {
        const { data, response } = await raw.GET(
          '/v1/agents',
          etag === undefined ? {} : { headers: { 'if-none-match': etag } },
        );
        if (response.status === 304) return null;
        return { etag: response.headers.get('etag'), value: data as components['schemas']['AgentList'] };
      },
      get: (agent: string) => ok(raw.GET('/v1/agents/{agent}', agentPath(agent))),
      spawn: (body: JsonBody<operations['spawnAgent']>) => ok(raw.POST('/v1/agents', { body })),
      kill: (agent: string) => ok(raw.POST('/v1/agents/{agent}/kill', agentPath(agent))),
      restart: (agent: string) => ok(raw.POST('/v1/agents/{agent}/restart', agentPath(agent))),
      interrupt: (agent: string) => ok(raw.POST('/v1/agents/{agent}/interrupt', agentPath(agent))),
      resume: (agent: string) => ok(raw.POST('/v1/agents/{agent}/resume', agentPath(agent))),
      close: (agent: string) => ok(raw.POST('/v1/agents/{agent}/close', agentPath(agent))),
      prune: (body: JsonBody<operations['pruneAgents']> = {}) => ok(raw.POST('/v1/agents/prune', { body })),
      inbox: (agent: string) => ok(raw.GET('/v1/agents/{agent}/inbox', agentPath(agent))),
    },
    tasks: {
      assign: (body: JsonBody<operations['assignTask']>) => ok(raw.POST('/v1/tasks/assign', { body })),
      pending: () => ok(raw.GET('/v1/tasks/pending')),
      list: (query?: Query<operations['listTasks']>) => ok(raw.GET('/v1/tasks', { params: { query } })),
      get: (taskId: string) => ok(raw.GET('/v1/tasks/{task_id}', taskPath(taskId))),
      complete: (taskId: string, body: JsonBody<operations['completeTask']> = {}) =>
        ok(raw.POST('/v1/tasks/{task_id}/complete', { ...taskPath(taskId), body })),
      fail: (taskId: string, body: JsonBody<operations['failTask']> = {}) =>
        ok(raw.POST('/v1/tasks/{task_id}/fail', { ...taskPath(taskId), body })),
    },
    backlog: {
      list: () => ok(raw.GET('/v1/backlog')),
      add: (body: JsonBody<operations['addToBacklog']>) => ok(raw.POST('/v1/backlog', { body })),
      claim: (taskId: string, agent: string) =>
        ok(raw.POST('/v1/backlog/{task_id}/claim', { ...taskPath(taskId), body: { agent } })),
      assignAll: (agent: string) => ok(raw.POST('/v1/backlog/assign-all', { body: { agent } })),
      remove: (taskId: string) => ok(raw.DELETE('/v1/backlog/{task_id}', taskPath(taskId))),
    },
    messages: {
      send: (body: JsonBody<operations['sendMessage']>) => ok(raw.POST('/v1/messages/send', { body })),
    },
    recovery: {
      recover: () => ok(raw.POST('/v1/recover')),
      reclaim: (body: JsonBody<operations['reclaim']> = {}) => ok(raw.POST('/v1/reclaim', { body })),
      orphanTasks: (body: JsonBody<operations['reclaimOrphanTasks']> = {}) =>
        ok(raw.POST('/v1/reclaim/orphan-tasks', { body })),
    },
    events: {
      list: (query?: Query<operations['listEvents']>) => ok(raw.GET('/v1/events', { params: { query } })),
    },
    missions: {
      list: (query?: Query<operations['listMissions']>) => ok(raw.GET('/v1/missions', { params: { query } })),
      start: (body: JsonBody<operations['startMission']>) => ok(raw.POST('/v1/missions', { body })),
      get: (missionId: string, query?: Query<operations['getMissionStatus']>) =>
        ok(raw.GET('/v1/missions/{mission_id}', { params: { ...missionPath(missionId), query } })),
      delete: (missionId: string, query?: Query<operations['deleteMission']>) =>
        ok(raw.DELETE('/v1/missions/{mission_id}', { params: { ...missionPath(missionId), query } })),
      resume: (missionId: string) =>
        ok(raw.POST('/v1/missions/{mission_id}/resume', { params: missionPath(missionId) })),
      stop: (missionId: string, body?: JsonBody<operations['stopMission']>) =>
        ok(raw.POST('/v1/missions/{mission_id}/stop', { params: missionPath(missionId), body })),
      complete: (missionId: string) =>
        ok(raw.POST('/v1/missions/{mission_id}/complete', { params: missionPath(missionId) })),
      fail: (missionId: string, body?: JsonBody<operations['failMission']>) =>
        ok(raw.POST('/v1/missions/{mission_id}/fail', { params: missionPath(missionId), body })),
      notes: (missionId: string) =>
        ok(raw.GET('/v1/missions/{mission_id}/notes', { params: missionPath(missionId) })),
      addNote: (missionId: string, body: JsonBody<operations['addMissionNote']>) =>
        ok(raw.POST('/v1/missions/{mission_id}/notes', { params: missionPath(missionId), body })),
      workItems: (missionId: string, query?: Query<operations['listWorkItems']>) =>
        ok(raw.GET('/v1/missions/{mission_id}/work', { params: { ...missionPath(missionId), query } })),
      workItem: (missionId: string, workItemId: string) =>
        ok(
          raw.GET('/v1/missions/{mission_id}/work/{work_item_id}', {
            params: { path: { mission_id: missionId, work_item_id: workItemId } },
          }),
        ),
      updateWorkItem: (missionId: string, workItemId: string, body: JsonBody<operations['updateWorkItem']>) =>
        ok(
          raw.PATCH('/v1/missions/{mission_id}/work/{work_item_id}', {
            params: { path: { mission_id: missionId, work_item_id: workItemId } },
            body,
          }),
        ),
      watches: (missionId: string, query?: Query<operations['listWatchItems']>) =>
        ok(raw.GET('/v1/missions/{mission_id}/watches', { params: { ...missionPath(missionId), query } })),
      snoozeWatch: (missionId: string, watchId: string, body: JsonBody<operations['snoozeWatch']>) =>
        ok(
          raw.POST('/v1/missions/{mission_id}/watches/{watch_id}/snooze', {
            params: { path: { mission_id: missionId, watch_id: watchId } },
            body,
          }),
        ),
      events: (missionId: string, query?: Query<operations['getMissionEvents']>) =>
        ok(raw.GET('/v1/missions/{mission_id}/events', { params: { ...missionPath(missionId), query } })),
    },
  };
}

export type TinytownClient = ReturnType<typeof createTinytownClient>;
