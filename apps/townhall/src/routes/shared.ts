import { type Agent, agentStateLabel, type Task } from '@tinytown/core';
import type { AgentWithQueues, Roster } from '@tinytown/store';
import type { z } from 'zod';
import type { AgentInfo, AgentList } from '../schemas/agents.js';
import type { AGENT_STATE_LABELS, Task as TaskSchema } from '../schemas/common.js';
import { ProblemDetails } from '../schemas/common.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `errors` names the fields',
  401: 'No API key, or not a valid one',
  403: 'The API key lacks the scope this route needs',
  404: 'Unknown agent or task',
  409: 'The current state forbids this action',
  413: 'Body larger than the limit',
  415: 'Body is not application/json',
  429: 'Rate limit reached; see Retry-After',
  503: 'Redis is unreachable or the request timed out',
};

/** Problem responses for the OpenAPI document (every route can also answer 401/403/429/503). */
export function problems(...codes: number[]) {
  return describedProblems({}, ...codes);
}

/** `problems` with route-specific descriptions for some codes. */
export function describedProblems(descriptions: Record<number, string>, ...codes: number[]) {
  const all = [...new Set([...codes, 429, 503])].sort();
  return Object.fromEntries(
    all.map((code) => [
      code,
      {
        description: descriptions[code] ?? DESCRIPTIONS[code] ?? 'Error',
        content: { 'application/problem+json': { schema: ProblemDetails } },
      },
    ]),
  );
}

export const SECURED: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
export const PROTECTED_ERRORS = [400, 401, 403] as const;

type StateLabel = (typeof AGENT_STATE_LABELS)[number];

export function stateLabel(state: Agent['state']): StateLabel {
  return agentStateLabel(state) as StateLabel;
}

export function agentInfo(agent: Readonly<AgentWithQueues>): z.output<typeof AgentInfo> {
  return {
    id: agent.id,
    name: agent.name,
    nickname: agent.nickname,
    role_id: agent.role_id,
    parent_agent_id: agent.parent_agent_id,
    spawn_mode: agent.spawn_mode,
    cli: agent.cli,
    state: stateLabel(agent.state),
    current_task: agent.current_task,
    current_scope: agent.current_scope,
    rounds_completed: agent.rounds_completed,
    tasks_completed: agent.tasks_completed,
    inbox_len: agent.inbox_len,
    urgent_len: agent.urgent_len,
    inflight_len: agent.inflight_len,
    created_at: agent.created_at,
    last_heartbeat: agent.last_heartbeat,
    last_active_at: agent.last_active_at,
  };
}

/**
 * Builds a value once per key object. The store hands out the same frozen roster while its revision
 * holds, so whatever is derived from a roster is derived once per revision, not once per request.
 */
function oncePerObject<K extends object, V>(build: (key: K) => V): (key: K) => V {
  const built = new WeakMap<K, V>();
  return (key) => {
    let value = built.get(key);
    if (value === undefined) {
      value = build(key);
      built.set(key, value);
    }
    return value;
  };
}

/** The agents as the API shows them. */
export const agentInfos = oncePerObject((roster: Roster) => roster.map(agentInfo));

/** The body of GET /v1/agents. */
export const agentList = oncePerObject((roster: Roster): z.output<typeof AgentList> => {
  const agents = agentInfos(roster);
  return { agents, count: agents.length };
});

const encodeObjectOnce = oncePerObject((payload: object) => Buffer.from(JSON.stringify(payload)));

/**
 * A route serializer for replies shared between requests: each is encoded to UTF-8 once, and Fastify
 * writes the bytes as they are instead of measuring and re-encoding a string on every request.
 * Fastify's type says a serializer returns a string; a Buffer is sent alike.
 */
export const encodeOnce = ((payload: unknown): Buffer =>
  typeof payload === 'object' && payload !== null
    ? encodeObjectOnce(payload)
    : Buffer.from(JSON.stringify(payload))) as unknown as (payload: unknown) => string;

export function taskView(task: Task): z.output<typeof TaskSchema> {
  return task;
}
