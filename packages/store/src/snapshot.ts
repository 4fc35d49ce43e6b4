import { CONDUCTOR_ID, TinytownError } from '@tinytown/core';
import { redisCall } from './errors.js';
import type { Town } from './town.js';

type Hash = Record<string, string>;

export interface AgentSnapshot {
  /** The agent's record as stored (hash fields). */
  hash: Hash;
  inbox: string[];
  urgent: string[];
  /** Messages taken into a round that was never settled; restored to the front of their queues. */
  inflight: string[];
  activity: string[];
}

/** A town's agents, tasks, backlog and mailboxes as JSON: what `tt save` writes and `tt restore` reads. */
export interface TownSnapshot {
  format: 'tinytown-snapshot';
  version: 1;
  town: string;
  exported_at: string;
  agents: AgentSnapshot[];
  /** Task records as stored (hash fields). */
  tasks: Hash[];
  /** Task ids, oldest first. */
  backlog: string[];
  conductor: { inbox: string[]; urgent: string[] };
  /** Recent messages, newest first. */
  history: string[];
}

export interface ImportResult {
  agents: number;
  tasks: number;
  backlog: number;
  messages: number;
}

const ACTIVE = new Set(['starting', 'idle', 'working', 'paused', 'draining']);

function isUrgent(raw: string): boolean {
  try {
    return (JSON.parse(raw) as { urgent?: unknown }).urgent === true;
  } catch {
    return false;
  }
}

/** Reads the whole town (missions and event streams excepted) in a few pipelined round trips. */
export async function exportTown(town: Town): Promise<TownSnapshot> {
  const { keys, redis } = town.context;
  const [agentIds, taskIds, backlog, conductorInbox, conductorUrgent, history] = (await redisCall(
    redis
      .pipeline()
      .smembers(keys.agents)
      .smembers(keys.tasks)
      .lrange(keys.backlog, 0, -1)
      .lrange(keys.inbox(CONDUCTOR_ID), 0, -1)
      .lrange(keys.urgent(CONDUCTOR_ID), 0, -1)
      .lrange(keys.history, 0, -1)
      .exec(),
  ).then((replies) => (replies ?? []).map(([, value]) => value))) as [
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
  ];

  const agentPipeline = redis.pipeline();
  for (const id of agentIds) {
    agentPipeline
      .hgetall(keys.agent(id))
      .lrange(keys.inbox(id), 0, -1)
      .lrange(keys.urgent(id), 0, -1)
      .lrange(keys.inflight(id), 0, -1)
      .lrange(keys.activity(id), 0, -1);
  }
  const agentReplies = ((await redisCall(agentPipeline.exec())) ?? []).map(([, value]) => value);
  const agents: AgentSnapshot[] = [];
  agentIds.forEach((_id, index) => {
    const [hash, inbox, urgent, inflight, activity] = agentReplies.slice(index * 5, index * 5 + 5) as [
      Hash,
      string[],
      string[],
      string[],
      string[],
    ];
    if (hash?.id) agents.push({ hash, inbox, urgent, inflight, activity });
  });
  agents.sort((a, b) => (a.hash.created_at ?? '').localeCompare(b.hash.created_at ?? ''));

  const taskPipeline = redis.pipeline();
  for (const id of taskIds) taskPipeline.hgetall(keys.task(id));
  const tasks = ((await redisCall(taskPipeline.exec())) ?? [])
    .map(([, value]) => value as Hash)
    .filter((hash) => hash?.id)
    .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''));

  return {
    format: 'tinytown-snapshot',
    version: 1,
    town: town.name,
    exported_at: new Date().toISOString(),
    agents,
    tasks,
    backlog,
    conductor: { inbox: conductorInbox, urgent: conductorUrgent },
    history,
  };
}

function requireSnapshot(value: unknown): TownSnapshot {
  const snapshot = value as Partial<TownSnapshot> | null;
  if (
    snapshot?.format !== 'tinytown-snapshot' ||
    snapshot.version !== 1 ||
    !Array.isArray(snapshot.agents) ||
    !Array.isArray(snapshot.tasks) ||
    !Array.isArray(snapshot.backlog)
  ) {
    throw new TinytownError(
      'INVALID_INPUT',
      'snapshot: not a Tinytown snapshot (format tinytown-snapshot, version 1)',
      {
        field: 'snapshot',
      },
    );
  }
  return snapshot as TownSnapshot;
}

/**
 * Writes a snapshot into the town in one MULTI. An occupied town is refused unless `replace` (which resets
 * it first). Agents come back stopped, since their processes are gone: their unsettled in-flight messages
 * return to the front of their queues and their running tasks to assigned, as recovery would do.
 */
export async function importTown(
  town: Town,
  input: unknown,
  options: { replace?: boolean } = {},
): Promise<ImportResult> {
  const snapshot = requireSnapshot(input);
  const { keys, redis } = town.context;
  const [agentCount, taskCount] = (await redisCall(
    redis.pipeline().scard(keys.agents).scard(keys.tasks).exec(),
  ).then((replies) => (replies ?? []).map(([, value]) => Number(value)))) as [number, number];
  if ((agentCount > 0 || taskCount > 0) && !options.replace) {
    throw new TinytownError(
      'INVALID_INPUT',
      `town ${town.name} already has ${agentCount} agent(s) and ${taskCount} task(s); restore with --force to replace them`,
      { field: 'town' },
    );
  }
  if (options.replace) await town.reset();

  const multi = redis.multi();
  let messages = 0;
  for (const agent of snapshot.agents) {
    const hash = { ...agent.hash };
    const id = hash.id;
    if (!id || !hash.name) continue;
    if (ACTIVE.has(hash.state ?? '')) hash.state = 'stopped';
    delete hash.current_task;
    delete hash.stop_requested;
    multi.hset(keys.agent(id), hash);
    multi.sadd(keys.agents, id);
    multi.hset(keys.agentNames, hash.name.toLowerCase(), id);
    const inflight = agent.inflight ?? [];
    const urgent = [...inflight.filter(isUrgent), ...(agent.urgent ?? [])];
    const inbox = [...inflight.filter((raw) => !isUrgent(raw)), ...(agent.inbox ?? [])];
    if (urgent.length > 0) multi.rpush(keys.urgent(id), ...urgent);
    if (inbox.length > 0) multi.rpush(keys.inbox(id), ...inbox);
    if ((agent.activity ?? []).length > 0) multi.rpush(keys.activity(id), ...agent.activity);
    messages += urgent.length + inbox.length;
  }
  for (const task of snapshot.tasks) {
    const hash = { ...task };
    const id = hash.id;
    if (!id) continue;
    if (hash.state === 'running') {
      hash.state = 'assigned';
      delete hash.started_at;
    }
    multi.hset(keys.task(id), hash);
    multi.sadd(keys.tasks, id);
    multi.sadd(keys.tasksInState(hash.state ?? 'pending'), id);
    if (hash.assigned_to) multi.sadd(keys.tasksOfAgent(hash.assigned_to), id);
  }
  if (snapshot.backlog.length > 0) multi.rpush(keys.backlog, ...snapshot.backlog);
  const conductor = snapshot.conductor ?? { inbox: [], urgent: [] };
  if (conductor.inbox.length > 0) multi.rpush(keys.inbox(CONDUCTOR_ID), ...conductor.inbox);
  if (conductor.urgent.length > 0) multi.rpush(keys.urgent(CONDUCTOR_ID), ...conductor.urgent);
  messages += conductor.inbox.length + conductor.urgent.length;
  if ((snapshot.history ?? []).length > 0) multi.rpush(keys.history, ...snapshot.history);
  town.context.queue(multi, 'touchRoster', {});
  await redisCall(multi.exec());
  return {
    agents: snapshot.agents.length,
    tasks: snapshot.tasks.length,
    backlog: snapshot.backlog.length,
    messages,
  };
}
