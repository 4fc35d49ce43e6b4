import {
  CONDUCTOR_ID,
  invalidInput,
  MissionNote,
  MissionRun,
  plural,
  TinytownError,
  Uuid,
  WatchItem,
  WorkItem,
} from '@tinytown/core';
import type { ChainableCommander } from 'ioredis';
import { z } from 'zod';
import { flatToHash, parseJsonRecord, parseJsonRecords } from './codec.js';
import { redisCall, toStoreError } from './errors.js';
import { oldestFirst } from './missions/missions.js';
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

/** One stream entry under its original id, so a restore keeps both the ids and their order. */
export interface SavedStreamEntry {
  id: string;
  fields: Hash;
}

/**
 * One mission as the store keeps it. The lease is left out on purpose: a restored mission has no
 * dispatcher yet, so any dispatcher may take it at once.
 */
export interface SavedMission {
  mission: MissionRun;
  items: WorkItem[];
  watches: WatchItem[];
  notes: MissionNote[];
  /** The mission's activity log (`[timestamp] text`), newest first. */
  events: string[];
  /** In the active-missions index (not completed or failed). */
  active: boolean;
  /** Next wake on the dispatcher's schedule (epoch ms); null when it is off the schedule. */
  wake_at_ms: number | null;
  /** Watch id -> next check (epoch ms). */
  watch_due: Record<string, number>;
  /** Ids of the mission's tasks whose end it has not processed yet. */
  live_task_ids: string[];
  /** Ids of operator notes no tick has processed yet. */
  pending_note_ids: string[];
  /** The last fencing token handed out for the mission (0: none yet). */
  fence: number;
}

export interface SavedEvents {
  /** The town's event stream, oldest first. */
  town: SavedStreamEntry[];
  /** Agent id -> that agent's event stream, oldest first. */
  agents: Record<string, SavedStreamEntry[]>;
}

/**
 * A whole town as JSON: agents, tasks, backlog, mailboxes, missions and event streams. It is what
 * `tt save` writes and `tt restore` reads. Records are plain JSON rather than DUMP payloads, which do not
 * load across Redis versions.
 */
export interface TownSnapshot {
  format: 'tinytown-snapshot';
  version: 2;
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
  /** Missions, oldest first. */
  missions: SavedMission[];
  events: SavedEvents;
}

/** The snapshot `tt save` wrote before missions and event streams were part of it; still restorable. */
export interface TownSnapshotV1 extends Omit<TownSnapshot, 'version' | 'missions' | 'events'> {
  version: 1;
}

export interface ImportResult {
  agents: number;
  tasks: number;
  backlog: number;
  messages: number;
  missions: number;
  /** Stream entries restored, across the town's and the agents' streams. */
  events: number;
}

const ACTIVE = new Set(['starting', 'idle', 'working', 'paused', 'draining']);

function isUrgent(raw: string): boolean {
  try {
    return (JSON.parse(raw) as { urgent?: unknown }).urgent === true;
  } catch {
    return false;
  }
}

/** Runs a pipeline and returns its replies, failing on the first command that failed. */
async function replies(pipeline: ChainableCommander): Promise<unknown[]> {
  return ((await redisCall(pipeline.exec())) ?? []).map(([error, value]) => {
    if (error) throw toStoreError(error);
    return value;
  });
}

type RawStreamEntry = [string, string[]];

const toSavedStream = (entries: RawStreamEntry[] | undefined): SavedStreamEntry[] =>
  (entries ?? []).map(([id, fields]) => ({ id, fields: flatToHash(fields) }));

/** A flat `member, score, …` reply as pairs. */
function scored(flat: string[] | undefined): [string, number][] {
  const pairs: [string, number][] = [];
  for (let i = 0; i + 1 < (flat?.length ?? 0); i += 2) pairs.push([flat?.[i] ?? '', Number(flat?.[i + 1])]);
  return pairs;
}

/**
 * Reads the whole town in two pipelined round trips: the indexes first, then every record they name.
 * Like any read of a live town it is not a point-in-time copy; stop the town's writers for an exact one.
 */
export async function exportTown(town: Town): Promise<TownSnapshot> {
  const { keys, redis } = town.context;
  const [
    agentIds,
    taskIds,
    backlog,
    conductorInbox,
    conductorUrgent,
    history,
    missionIds,
    activeIds,
    wakeFlat,
    watchDueFlat,
    townEvents,
  ] = (await replies(
    redis
      .pipeline()
      .smembers(keys.agents)
      .smembers(keys.tasks)
      .lrange(keys.backlog, 0, -1)
      .lrange(keys.inbox(CONDUCTOR_ID), 0, -1)
      .lrange(keys.urgent(CONDUCTOR_ID), 0, -1)
      .lrange(keys.history, 0, -1)
      .smembers(keys.missions)
      .smembers(keys.missionsActive)
      .zrange(keys.missionsWake, 0, -1, 'WITHSCORES')
      .zrange(keys.watchesDue, 0, -1, 'WITHSCORES')
      .xrange(keys.events, '-', '+'),
  )) as [
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    RawStreamEntry[],
  ];

  const agentPipeline = redis.pipeline();
  for (const id of agentIds) {
    agentPipeline
      .hgetall(keys.agent(id))
      .lrange(keys.inbox(id), 0, -1)
      .lrange(keys.urgent(id), 0, -1)
      .lrange(keys.inflight(id), 0, -1)
      .lrange(keys.activity(id), 0, -1)
      .xrange(keys.agentEvents(id), '-', '+');
  }
  const taskPipeline = redis.pipeline();
  for (const id of taskIds) taskPipeline.hgetall(keys.task(id));
  const missionPipeline = redis.pipeline();
  for (const id of missionIds) {
    missionPipeline
      .get(keys.mission(id))
      .hgetall(keys.missionWork(id))
      .hgetall(keys.missionWatches(id))
      .hgetall(keys.missionNotes(id))
      .lrange(keys.missionEvents(id), 0, -1)
      .smembers(keys.missionTasks(id))
      .smembers(keys.missionPendingNotes(id))
      .get(keys.missionFence(id));
  }
  // Sent together, so the three cost one round trip.
  const [agentReplies, taskReplies, missionReplies] = await Promise.all([
    replies(agentPipeline),
    replies(taskPipeline),
    replies(missionPipeline),
  ]);

  const agents: AgentSnapshot[] = [];
  const agentEvents: Record<string, SavedStreamEntry[]> = {};
  agentIds.forEach((id, index) => {
    const [hash, inbox, urgent, inflight, activity, events] = agentReplies.slice(
      index * 6,
      index * 6 + 6,
    ) as [Hash, string[], string[], string[], string[], RawStreamEntry[]];
    if (!hash?.id) return;
    agents.push({ hash, inbox, urgent, inflight, activity });
    if (events.length > 0) agentEvents[id] = toSavedStream(events);
  });
  agents.sort((a, b) => (a.hash.created_at ?? '').localeCompare(b.hash.created_at ?? ''));

  const tasks = taskReplies
    .map((value) => value as Hash)
    .filter((hash) => hash?.id)
    .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''));

  const active = new Set(activeIds);
  const wake = new Map(scored(wakeFlat));
  const watchDue = new Map<string, Record<string, number>>();
  for (const [member, at] of scored(watchDueFlat)) {
    const slash = member.indexOf('/');
    if (slash < 0) continue;
    const missionId = member.slice(0, slash);
    const due = watchDue.get(missionId) ?? {};
    due[member.slice(slash + 1)] = at;
    watchDue.set(missionId, due);
  }
  const missions: SavedMission[] = [];
  missionIds.forEach((id, index) => {
    const [record, work, watches, notes, events, liveTasks, pendingNotes, fence] = missionReplies.slice(
      index * 8,
      index * 8 + 8,
    ) as [string | null, Hash, Hash, Hash, string[], string[], string[], string | null];
    const mission = parseJsonRecord(MissionRun, record);
    if (!mission) return;
    missions.push({
      mission,
      items: parseJsonRecords(WorkItem, work).sort((a, b) => a.seq - b.seq || oldestFirst(a, b)),
      watches: parseJsonRecords(WatchItem, watches).sort(
        (a, b) => a.work_item_id.localeCompare(b.work_item_id) || a.id.localeCompare(b.id),
      ),
      notes: parseJsonRecords(MissionNote, notes).sort(oldestFirst),
      events,
      active: active.has(id),
      wake_at_ms: wake.get(id) ?? null,
      watch_due: watchDue.get(id) ?? {},
      live_task_ids: liveTasks.sort(),
      pending_note_ids: pendingNotes.sort(),
      fence: Number(fence ?? 0),
    });
  });
  missions.sort((a, b) => oldestFirst(a.mission, b.mission));

  return {
    format: 'tinytown-snapshot',
    version: 2,
    town: town.name,
    exported_at: new Date().toISOString(),
    agents,
    tasks,
    backlog,
    conductor: { inbox: conductorInbox, urgent: conductorUrgent },
    history,
    missions,
    events: { town: toSavedStream(townEvents), agents: agentEvents },
  };
}

const MAX_ID_PART = 2n ** 64n - 1n;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Ids XADD accepts in this order: each above 0-0 and above the one before it. */
const SavedStream = z
  .array(
    z.object({
      id: z.string().regex(STREAM_ID, 'expected a stream entry id such as 1700000000000-0'),
      fields: z
        .record(z.string(), z.string())
        .refine((fields) => Object.keys(fields).length > 0, 'an entry needs at least one field'),
    }),
  )
  .superRefine((entries, ctx) => {
    let previous: [bigint, bigint] = [0n, 0n];
    let previousId = '0-0';
    entries.forEach((entry, index) => {
      // Refinements run even when an entry failed its own check, which is then reported already.
      if (typeof entry?.id !== 'string' || !STREAM_ID.test(entry.id)) return;
      const [ms, seq] = entry.id.split('-').map(BigInt) as [bigint, bigint];
      if (ms > MAX_ID_PART || seq > MAX_ID_PART) {
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `${entry.id} is out of range` });
      } else if (ms < previous[0] || (ms === previous[0] && seq <= previous[1])) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `${entry.id} must come after ${previousId}`,
        });
      }
      previous = [ms, seq];
      previousId = entry.id;
    });
  });

const SavedMissionSchema: z.ZodType<SavedMission> = z
  .object({
    mission: MissionRun,
    items: z.array(WorkItem),
    watches: z.array(WatchItem),
    notes: z.array(MissionNote),
    events: z.array(z.string()),
    active: z.boolean(),
    wake_at_ms: z.number().nullable(),
    watch_due: z.record(Uuid, z.number()),
    live_task_ids: z.array(Uuid),
    pending_note_ids: z.array(Uuid),
    fence: z.number().int().nonnegative(),
  })
  .superRefine((saved, ctx) => {
    const sections = { items: saved.items, watches: saved.watches, notes: saved.notes };
    for (const [section, records] of Object.entries(sections)) {
      records.forEach((record, index) => {
        if (record.mission_id !== saved.mission.id) {
          ctx.addIssue({
            code: 'custom',
            path: [section, index, 'mission_id'],
            message: `belongs to mission ${record.mission_id}, not ${saved.mission.id}`,
          });
        }
      });
    }
  });

const SnapshotV2Sections = z.object({
  missions: z.array(SavedMissionSchema).superRefine((missions, ctx) => {
    const seen = new Set<string>();
    missions.forEach((saved, index) => {
      if (seen.has(saved.mission.id)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'mission', 'id'],
          message: `mission ${saved.mission.id} appears twice`,
        });
      }
      seen.add(saved.mission.id);
    });
  }),
  events: z.object({ town: SavedStream, agents: z.record(z.string(), SavedStream) }),
});

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}

type RestorableSnapshot = Omit<TownSnapshot, 'version'>;

/** Checks the whole snapshot before anything is written, so a bad file changes nothing. */
function requireSnapshot(value: unknown): RestorableSnapshot {
  const snapshot = value as Partial<TownSnapshot | TownSnapshotV1> | null;
  if (
    snapshot?.format !== 'tinytown-snapshot' ||
    (snapshot.version !== 1 && snapshot.version !== 2) ||
    !Array.isArray(snapshot.agents) ||
    !Array.isArray(snapshot.tasks) ||
    !Array.isArray(snapshot.backlog)
  ) {
    throw new TinytownError(
      'INVALID_INPUT',
      'snapshot: not a Tinytown snapshot (format tinytown-snapshot, version 1 or 2)',
      {
        field: 'snapshot',
      },
    );
  }
  const base = snapshot as TownSnapshotV1 | TownSnapshot;
  if (base.version === 1) return { ...base, missions: [], events: { town: [], agents: {} } };

  const parsed = SnapshotV2Sections.safeParse(base);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`snapshot${issuePath(issue?.path ?? [])}`, issue?.message ?? 'invalid');
  }
  // An agent's stream is only reachable (and only removed by a reset) through an agent record.
  const restorable = new Set(
    base.agents.filter((agent) => agent?.hash?.id && agent.hash.name).map((agent) => agent.hash.id),
  );
  for (const id of Object.keys(parsed.data.events.agents)) {
    if (!restorable.has(id)) {
      throw invalidInput(`snapshot.events.agents.${id}`, 'no agent of the snapshot has this id');
    }
  }
  return { ...base, ...parsed.data };
}

/**
 * Writes a snapshot into the town in one MULTI, after checking all of it. An occupied town (agents, tasks
 * or missions) is refused unless `replace`, which resets it first. Agents come back stopped, since their
 * processes are gone: their unsettled in-flight messages return to the front of their queues and their
 * running tasks to assigned, as recovery would do. A stream the snapshot carries replaces the town's
 * stream of the same name, since entries cannot be added below the ones already there.
 */
export async function importTown(
  town: Town,
  input: unknown,
  options: { replace?: boolean } = {},
): Promise<ImportResult> {
  const snapshot = requireSnapshot(input);
  const { keys, redis } = town.context;
  const checks = redis.pipeline().scard(keys.agents).scard(keys.tasks).scard(keys.missions);
  for (const saved of snapshot.missions) checks.get(keys.missionFence(saved.mission.id));
  const [agentCount = 0, taskCount = 0, missionCount = 0, ...fences] = (await replies(checks)).map((value) =>
    Number(value ?? 0),
  );
  if ((agentCount > 0 || taskCount > 0 || missionCount > 0) && !options.replace) {
    throw new TinytownError(
      'INVALID_INPUT',
      `town ${town.name} already has ${plural(agentCount, 'agent')}, ${plural(taskCount, 'task')} and ${plural(missionCount, 'mission')}; restore with --force to replace them`,
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

  snapshot.missions.forEach((saved, index) => {
    const id = saved.mission.id;
    // Whatever a mission of this id left here (a lease above all) must not mix with the restored one.
    multi.del(
      keys.mission(id),
      keys.missionWork(id),
      keys.missionWatches(id),
      keys.missionNotes(id),
      keys.missionEvents(id),
      keys.missionLease(id),
      keys.missionTasks(id),
      keys.missionPendingNotes(id),
    );
    multi.set(keys.mission(id), JSON.stringify(saved.mission));
    const records = (list: readonly { id: string }[]) => list.flatMap((r) => [r.id, JSON.stringify(r)]);
    if (saved.items.length > 0) multi.hset(keys.missionWork(id), ...records(saved.items));
    if (saved.watches.length > 0) multi.hset(keys.missionWatches(id), ...records(saved.watches));
    if (saved.notes.length > 0) multi.hset(keys.missionNotes(id), ...records(saved.notes));
    if (saved.events.length > 0) multi.rpush(keys.missionEvents(id), ...saved.events);
    if (saved.live_task_ids.length > 0) multi.sadd(keys.missionTasks(id), ...saved.live_task_ids);
    if (saved.pending_note_ids.length > 0)
      multi.sadd(keys.missionPendingNotes(id), ...saved.pending_note_ids);
    // The fence is restored rather than started afresh, and never lowered: the target town may have
    // handed out higher tokens for this mission already (a restore --force over the town it was saved
    // from), and a tick still holding one of those must not find it handed out again. So the counter
    // becomes the larger of the saved value and the town's own, read before any reset.
    const fence = Math.max(saved.fence, fences[index] ?? 0);
    if (fence > 0) multi.set(keys.missionFence(id), String(fence));
    multi.sadd(keys.missions, id);
    if (saved.active) multi.sadd(keys.missionsActive, id);
    else multi.srem(keys.missionsActive, id);
    if (saved.wake_at_ms === null) multi.zrem(keys.missionsWake, id);
    else multi.zadd(keys.missionsWake, saved.wake_at_ms, id);
    for (const [watchId, at] of Object.entries(saved.watch_due))
      multi.zadd(keys.watchesDue, at, `${id}/${watchId}`);
  });

  const streams: [string, SavedStreamEntry[]][] = [
    [keys.events, snapshot.events.town],
    ...Object.entries(snapshot.events.agents).map(([id, entries]): [string, SavedStreamEntry[]] => [
      keys.agentEvents(id),
      entries,
    ]),
  ];
  let events = 0;
  for (const [key, entries] of streams) {
    if (entries.length === 0) continue;
    multi.del(key);
    // Uncapped: the entries were capped when first written, and MAXLEN here could drop restored ones.
    for (const entry of entries) multi.xadd(key, entry.id, ...Object.entries(entry.fields).flat());
    events += entries.length;
  }

  town.context.queue(multi, 'touchRoster', {});
  await replies(multi);
  return {
    agents: snapshot.agents.length,
    tasks: snapshot.tasks.length,
    backlog: snapshot.backlog.length,
    messages,
    missions: snapshot.missions.length,
    events,
  };
}
