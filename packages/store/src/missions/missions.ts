import {
  CONDUCTOR_ID,
  MissionNote,
  MissionRun,
  type MissionState,
  missionNotFound,
  parseId,
  WatchItem,
  WorkItem,
  workItemNotFound,
} from '@tinytown/core';
import { parseJsonRecord, parseJsonRecords } from '../codec.js';
import type { StoreContext } from '../context.js';
import { redisCall } from '../errors.js';
import { resolveFieldStart, resolveIdStart } from '../id-prefix.js';
import { newMessage, taskAssignMessage } from '../message-factory.js';

/** Entries kept in a mission's activity log. */
export const MISSION_EVENTS_MAX = 100;

/** A task a mission step creates, assigned to an agent with its task_assign message (null: the backlog). */
export interface MissionTaskDraft {
  id: string;
  description: string;
  tags: string[];
  assignTo: string | null;
}

/**
 * One atomic step of a mission tick or operator action. Everything in it is written together, and only
 * while the step's fencing token still holds the mission's lease.
 */
export interface MissionCommit {
  mission?: MissionRun;
  /** Keeps the active-missions index in step with the record (true: active, false: finished/stopped). */
  active?: boolean;
  items?: readonly WorkItem[];
  watches?: readonly WatchItem[];
  notes?: readonly MissionNote[];
  /** Lines for the mission's activity log (timestamped by the store). */
  events?: readonly string[];
  /** Next wake (epoch ms); `null` takes the mission off the wake schedule. */
  wakeAtMs?: number | null;
  /** Next check of a watch (epoch ms); `null` takes it off the schedule. */
  watchDue?: readonly { id: string; atMs: number | null }[];
  createTasks?: readonly MissionTaskDraft[];
  cancelTasks?: readonly { id: string; reason: string }[];
  /** Ids of tasks whose end the mission has processed: they leave the mission's live-task set. */
  liveRemove?: readonly string[];
  /** Questions for the conductor's inbox. */
  conductorQuestions?: readonly string[];
  /** Withdraws this mission's pending help requests from the conductor's inbox (before sending new ones). */
  retireHelp?: boolean;
}

/** Everything a tick reads about one mission, in one round trip. */
export interface MissionSnapshot {
  mission: MissionRun;
  items: WorkItem[];
  watches: WatchItem[];
  notes: MissionNote[];
  /** Tasks the mission created whose end it has not processed yet. */
  liveTaskIds: string[];
}

export interface WorkCounts {
  total: number;
  pending: number;
  ready: number;
  assigned: number;
  running: number;
  blocked: number;
  done: number;
}

/** Oldest first, ties broken by id so that the order is stable. */
export const oldestFirst = <T extends { created_at: string; id: string }>(a: T, b: T) =>
  a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
const byItemOrder = (a: WorkItem, b: WorkItem) => a.seq - b.seq || oldestFirst(a, b);

/**
 * Mission storage: records (JSON strings), work items, watches and operator notes (hashes), a capped
 * activity log, the active index, due-time schedules, and the per-mission lease with its fencing token.
 */
export class Missions {
  constructor(private readonly ctx: StoreContext) {}

  /** Stores a compiled mission with its items: active and due now. */
  async create(
    mission: MissionRun,
    items: readonly WorkItem[],
    events: readonly string[] = [],
  ): Promise<void> {
    await this.ctx.run('missionCreate', {
      id: mission.id,
      mission: JSON.stringify(MissionRun.parse(mission)),
      items: items.map((item) => ({ id: item.id, json: JSON.stringify(WorkItem.parse(item)) })),
      events,
      events_max: MISSION_EVENTS_MAX,
      wake: Date.now(),
    });
  }

  /** The mission id a full id or its first few characters (as listings print them) mean. */
  resolveId(ref: string): Promise<string> {
    return resolveIdStart(this.ctx.redis, this.ctx.keys.missions, ref, 'mission_id', missionNotFound);
  }

  /** The id of the mission's work item a full id or its first few characters mean. */
  resolveWorkItemId(missionId: string, ref: string): Promise<string> {
    const id = parseId(missionId, 'mission_id');
    return resolveFieldStart(this.ctx.redis, this.ctx.keys.missionWork(id), ref, 'work_item_id', (item) =>
      workItemNotFound(id, item),
    );
  }

  async find(id: string): Promise<MissionRun | null> {
    const missionId = parseId(id, 'mission_id');
    const raw = await redisCall(this.ctx.redis.get(this.ctx.keys.mission(missionId)));
    return parseJsonRecord(MissionRun, raw) ?? null;
  }

  async get(id: string): Promise<MissionRun> {
    const mission = await this.find(id);
    if (!mission) throw missionNotFound(id);
    return mission;
  }

  /** Missions (all of them, or only active ones), oldest first, in one round trip after the index read. */
  async list(options: { activeOnly?: boolean } = {}): Promise<MissionRun[]> {
    const { keys, redis } = this.ctx;
    const ids = await redisCall(redis.smembers(options.activeOnly ? keys.missionsActive : keys.missions));
    return (await this.getMany(ids)).sort(oldestFirst);
  }

  async getMany(ids: readonly string[]): Promise<MissionRun[]> {
    if (ids.length === 0) return [];
    const raws = await redisCall(this.ctx.redis.mget(...ids.map((id) => this.ctx.keys.mission(id))));
    return raws
      .map((raw) => parseJsonRecord(MissionRun, raw))
      .filter((m): m is MissionRun => m !== undefined);
  }

  /** Work item counts per status for each mission, in one round trip. */
  async workCounts(ids: readonly string[]): Promise<Map<string, WorkCounts>> {
    const result = new Map<string, WorkCounts>();
    if (ids.length === 0) return result;
    const pipeline = this.ctx.redis.pipeline();
    for (const id of ids) pipeline.hvals(this.ctx.keys.missionWork(id));
    const replies = (await redisCall(pipeline.exec())) ?? [];
    ids.forEach((id, index) => {
      const values = (replies[index]?.[1] as string[] | undefined) ?? [];
      const counts: WorkCounts = {
        total: 0,
        pending: 0,
        ready: 0,
        assigned: 0,
        running: 0,
        blocked: 0,
        done: 0,
      };
      for (const raw of values) {
        const item = parseJsonRecord(WorkItem, raw);
        if (!item) continue;
        counts.total += 1;
        counts[item.status] += 1;
      }
      result.set(id, counts);
    });
    return result;
  }

  /** The mission with its items (in assignment order), watches, notes and live task ids; null if gone. */
  async snapshot(id: string): Promise<MissionSnapshot | null> {
    const missionId = parseId(id, 'mission_id');
    const { keys, redis } = this.ctx;
    const replies =
      (await redisCall(
        redis
          .pipeline()
          .get(keys.mission(missionId))
          .hgetall(keys.missionWork(missionId))
          .hgetall(keys.missionWatches(missionId))
          .hgetall(keys.missionNotes(missionId))
          .smembers(keys.missionTasks(missionId))
          .exec(),
      )) ?? [];
    const mission = parseJsonRecord(MissionRun, replies[0]?.[1] as string | null);
    if (!mission) return null;
    return {
      mission,
      items: parseJsonRecords(WorkItem, replies[1]?.[1] as Record<string, string>).sort(byItemOrder),
      watches: parseJsonRecords(WatchItem, replies[2]?.[1] as Record<string, string>).sort(
        (a, b) =>
          a.work_item_id.localeCompare(b.work_item_id) ||
          a.kind.localeCompare(b.kind) ||
          a.id.localeCompare(b.id),
      ),
      notes: parseJsonRecords(MissionNote, replies[3]?.[1] as Record<string, string>).sort(oldestFirst),
      liveTaskIds: ((replies[4]?.[1] as string[] | undefined) ?? []).sort(),
    };
  }

  async workItems(id: string): Promise<WorkItem[]> {
    const missionId = parseId(id, 'mission_id');
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.missionWork(missionId)));
    return parseJsonRecords(WorkItem, hash).sort(byItemOrder);
  }

  async workItem(id: string, workItemId: string): Promise<WorkItem | null> {
    const missionId = parseId(id, 'mission_id');
    const itemId = parseId(workItemId, 'work_item_id');
    const raw = await redisCall(this.ctx.redis.hget(this.ctx.keys.missionWork(missionId), itemId));
    return parseJsonRecord(WorkItem, raw) ?? null;
  }

  async watches(id: string): Promise<WatchItem[]> {
    const missionId = parseId(id, 'mission_id');
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.missionWatches(missionId)));
    return parseJsonRecords(WatchItem, hash).sort(
      (a, b) => a.work_item_id.localeCompare(b.work_item_id) || a.id.localeCompare(b.id),
    );
  }

  async notes(id: string): Promise<MissionNote[]> {
    const missionId = parseId(id, 'mission_id');
    const hash = await redisCall(this.ctx.redis.hgetall(this.ctx.keys.missionNotes(missionId)));
    return parseJsonRecords(MissionNote, hash).sort(oldestFirst);
  }

  /** The newest `limit` activity lines, newest first. */
  async events(id: string, limit = 20): Promise<string[]> {
    const missionId = parseId(id, 'mission_id');
    if (limit <= 0) return [];
    return redisCall(this.ctx.redis.lrange(this.ctx.keys.missionEvents(missionId), 0, limit - 1));
  }

  /**
   * Ids of missions with something due by `nowMs` (their own wake, or a watch's check), earliest first,
   * at most `limit`. Costs what is due, not what exists.
   */
  async due(nowMs = Date.now(), limit = 1000): Promise<string[]> {
    const { keys, redis } = this.ctx;
    const replies =
      (await redisCall(
        redis
          .pipeline()
          .zrangebyscore(keys.missionsWake, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit)
          .zrangebyscore(keys.watchesDue, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit)
          .exec(),
      )) ?? [];
    const earliest = new Map<string, number>();
    const take = (flat: string[] | undefined, idOf: (member: string) => string) => {
      for (let i = 0; i + 1 < (flat?.length ?? 0); i += 2) {
        const id = idOf(flat?.[i] ?? '');
        const at = Number(flat?.[i + 1]);
        if (!earliest.has(id) || at < (earliest.get(id) ?? Number.POSITIVE_INFINITY)) earliest.set(id, at);
      }
    };
    take(replies[0]?.[1] as string[] | undefined, (member) => member);
    take(replies[1]?.[1] as string[] | undefined, (member) => member.split('/')[0] ?? member);
    return [...earliest.entries()]
      .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([id]) => id);
  }

  async activeCount(): Promise<number> {
    return redisCall(this.ctx.redis.scard(this.ctx.keys.missionsActive));
  }

  /**
   * Takes the mission's lease for `ttlMs` and returns its fencing token, or null when another holder has
   * it. `steal` takes it regardless: the holder's next write fails with LEASE_LOST (operator actions).
   */
  async acquireLease(id: string, ttlMs: number, options: { steal?: boolean } = {}): Promise<number | null> {
    const token = (await this.ctx.run('missionLease', {
      op: 'acquire',
      id: parseId(id, 'mission_id'),
      ttl_ms: Math.max(1, Math.round(ttlMs)),
      steal: options.steal === true,
    })) as number;
    return token > 0 ? token : null;
  }

  async renewLease(id: string, token: number, ttlMs: number): Promise<boolean> {
    return (
      (await this.ctx.run('missionLease', {
        op: 'renew',
        id,
        token,
        ttl_ms: Math.max(1, Math.round(ttlMs)),
      })) === 1
    );
  }

  async releaseLease(id: string, token: number): Promise<boolean> {
    return (await this.ctx.run('missionLease', { op: 'release', id, token })) === 1;
  }

  /** Applies one step under the lease; LEASE_LOST (nothing written) when `token` no longer holds it. */
  async commit(id: string, token: number, commit: MissionCommit): Promise<number> {
    return (await this.ctx.run('missionCommit', {
      id,
      token,
      mission: commit.mission ? JSON.stringify(MissionRun.parse(commit.mission)) : undefined,
      active: commit.active,
      items: (commit.items ?? []).map((item) => ({
        id: item.id,
        json: JSON.stringify(WorkItem.parse(item)),
      })),
      watches: (commit.watches ?? []).map((watch) => ({
        id: watch.id,
        json: JSON.stringify(WatchItem.parse(watch)),
      })),
      notes: (commit.notes ?? []).map((note) => ({
        id: note.id,
        json: JSON.stringify(MissionNote.parse(note)),
      })),
      notes_processed: (commit.notes ?? [])
        .filter((note) => note.processed_at !== null)
        .map((note) => note.id),
      events: commit.events ?? [],
      events_max: MISSION_EVENTS_MAX,
      wake:
        commit.wakeAtMs === undefined
          ? undefined
          : commit.wakeAtMs === null
            ? -1
            : Math.round(commit.wakeAtMs),
      watch_due: (commit.watchDue ?? []).map((due) => ({
        id: due.id,
        at: due.atMs === null ? -1 : Math.round(due.atMs),
      })),
      create_tasks: (commit.createTasks ?? []).map((draft) => ({
        task: { id: draft.id, description: draft.description, tags_json: JSON.stringify(draft.tags) },
        assign_to: draft.assignTo ?? undefined,
        message: draft.assignTo ? JSON.stringify(taskAssignMessage(draft.assignTo, draft.id)) : undefined,
      })),
      cancel_tasks: commit.cancelTasks ?? [],
      live_remove: commit.liveRemove ?? [],
      conductor: (commit.conductorQuestions ?? []).map((question) =>
        JSON.stringify(newMessage(CONDUCTOR_ID, { type: 'query', question }, { from: CONDUCTOR_ID })),
      ),
      retire_help: commit.retireHelp === true,
    })) as number;
  }

  /** Queues an operator note and wakes the mission; returns how many help requests were withdrawn. */
  async addNote(note: MissionNote, event: string, options: { retireHelp?: boolean } = {}): Promise<number> {
    const parsed = MissionNote.parse(note);
    return (await this.ctx.run('missionNote', {
      id: parsed.mission_id,
      note: { id: parsed.id, json: JSON.stringify(parsed) },
      event,
      events_max: MISSION_EVENTS_MAX,
      retire_help: options.retireHelp === true,
    })) as number;
  }

  /** Deletes a mission and its data; INVALID_TRANSITION unless completed/failed or `force`. Returns its last state. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<MissionState> {
    return (await this.ctx.run('missionDelete', {
      id: parseId(id, 'mission_id'),
      force: options.force === true,
    })) as MissionState;
  }

  /** Deletes every mission (the full town reset). */
  async reset(): Promise<number> {
    return (await this.ctx.run('missionReset', {})) as number;
  }
}
