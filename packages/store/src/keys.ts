import { validateName } from '@tinytown/core';

/**
 * The key schema. Every key is `tt:{<town>}:<kind>[:<id>]`: the `{<town>}` hash tag keeps a town in one
 * cluster slot, so multi-key scripts stay legal on Redis Cluster. The Lua scripts build the same names
 * from the prefix (see lua/prelude.lua `key()`); this module is the TypeScript side of that one schema.
 */
export function townKeys(town: string) {
  validateName(town, 'town');
  const prefix = `tt:{${town}}:`;
  const k = (kind: string, id?: string) => (id === undefined ? `${prefix}${kind}` : `${prefix}${kind}:${id}`);
  return {
    prefix,
    /** SET of agent ids: the agent index. */
    agents: k('agents'),
    /** HASH lower-cased agent name -> id: uniqueness and lookup by name. */
    agentNames: k('agent-names'),
    /** STRING roster revision: moves with every write an agent listing shows (see lua/prelude.lua). */
    roster: k('roster'),
    /** ZSET agent id -> lease expiry (epoch ms): the reaper reads the expired range. */
    leases: k('leases'),
    agent: (id: string) => k('agent', id),
    inbox: (id: string) => k('inbox', id),
    urgent: (id: string) => k('urgent', id),
    inflight: (id: string) => k('inflight', id),
    activity: (id: string) => k('activity', id),
    task: (id: string) => k('task', id),
    /** SET of every task id. */
    tasks: k('tasks'),
    tasksInState: (state: string) => k('tasks:state', state),
    tasksOfAgent: (id: string) => k('tasks:agent', id),
    backlog: k('backlog'),
    events: k('events'),
    agentEvents: (id: string) => k('events:agent', id),
    /** Capped LIST of recent messages, newest first. */
    history: k('history'),
    /** STRING counters of the shared rate limiter. */
    rateLimit: (bucket: string) => k('ratelimit', bucket),
    /** HASH worker id -> last heartbeat (epoch ms), for readiness. */
    workers: k('workers'),
    /** SET of every mission id: listing and the full reset go through it. */
    missions: k('missions'),
    /** SET of ids of missions that are not completed or failed. */
    missionsActive: k('missions:active'),
    /** ZSET mission id -> next wake (epoch ms): the dispatcher reads the due range. */
    missionsWake: k('missions:wake'),
    /** ZSET `<mission id>/<watch id>` -> next check (epoch ms). */
    watchesDue: k('missions:watch-due'),
    /** STRING MissionRun JSON. */
    mission: (id: string) => k('mission', id),
    /** HASH work item id -> WorkItem JSON. */
    missionWork: (id: string) => k('mission', `${id}:work`),
    /** HASH watch id -> WatchItem JSON. */
    missionWatches: (id: string) => k('mission', `${id}:watch`),
    /** HASH note id -> MissionNote JSON. */
    missionNotes: (id: string) => k('mission', `${id}:control`),
    /** Capped LIST of `[timestamp] text`, newest first. */
    missionEvents: (id: string) => k('mission', `${id}:events`),
    /** STRING fencing token of the tick holding the mission, with a TTL. */
    missionLease: (id: string) => k('mission', `${id}:lease`),
    /** STRING counter the fencing tokens come from. */
    missionFence: (id: string) => k('mission', `${id}:fence`),
    /** SET of ids of the mission's tasks whose end the mission has not processed yet. */
    missionTasks: (id: string) => k('mission', `${id}:tasks`),
    /** SET of ids of operator notes no tick has processed yet (they keep the mission due). */
    missionPendingNotes: (id: string) => k('mission', `${id}:notes-pending`),
  };
}

export type TownKeys = ReturnType<typeof townKeys>;
