import {
  isTinytownError,
  MissionNote,
  MissionPolicy,
  type MissionPolicyInput,
  MissionRun,
  type MissionState,
  type MissionSummary,
  missionNotFound,
  newId,
  ObjectiveRef,
  objectiveLabel,
  parseId,
  plural,
  TinytownError,
  type WatchItem,
  WatchStatus,
  type WorkItem,
  WorkStatus,
  workItemNotFound,
} from '@tinytown/core';
import type { Town } from '@tinytown/store';
import { compileMission, uniqueObjectives } from '../compiler/compile.js';
import type { Forge } from '../forge/forge.js';
import { addSeconds, validateSnoozeSecs } from '../watches/schedule.js';
import { type FailedWorkItem, failedWorkItems, newestTaskId } from './blocked.js';
import type { AgentPool, MissionDraft } from './draft.js';
import { helpSubject } from './help.js';
import { clearHelpState, isTerminalMission, setBlocked, setRunning, setTerminal } from './lifecycle.js';
import { recordSubmission, type SubmissionOutcome } from './protocol.js';
import { loadAgentPool, loadDraft } from './tick.js';

export interface MissionServiceOptions {
  town: Town;
  /** Reads issue objectives; a mission of design docs needs none (an issue objective then fails). */
  forge?: Forge | null | undefined;
  /** Doc objectives are read from inside this directory only. */
  townRoot: string;
  /** Lease an operator action holds while it writes (it takes the lease from a running tick). */
  leaseMs?: number | undefined;
  now?: (() => Date) | undefined;
}

/** Typed for callers; checked again at run time, so a JavaScript caller's mistakes get the same errors. */
export interface StartMissionInput {
  objectives: readonly ObjectiveRef[];
  policy?: MissionPolicyInput;
}

export interface MissionStatusView {
  mission: MissionRun;
  work_items?: WorkItem[];
  watches?: WatchItem[];
  events?: string[];
  summary: {
    total_work_items: number;
    pending: number;
    ready: number;
    assigned: number;
    running: number;
    done: number;
    blocked: number;
    active_watches: number;
  };
  /** Blocked items that wait for a person because their task failed or was cancelled, with why. */
  failed_items: FailedWorkItemStatus[];
}

export interface FailedWorkItemStatus extends FailedWorkItem {
  /** The conductor has been asked for help with this item, and the request stands. */
  help_requested: boolean;
}

export interface MissionActionResult {
  mission_id: string;
  /** What happened, in a word or two: `stopped`, `resumed`, `completed`, `already completed`… */
  status: string;
  previous_state: MissionState;
  new_state: MissionState;
}

/** Typed for callers; checked again at run time, so a JavaScript caller's mistakes get the same errors. */
export interface UpdateWorkItemInput {
  /** `done` goes through the submission protocol; `assigned` is refused (redirect with a note). */
  status?: WorkStatus | undefined;
  /** References to add (PR URLs, commits): up to 100 non-empty strings. */
  artifacts?: readonly string[] | undefined;
}

export interface UpdateWorkItemResult {
  item: WorkItem;
  /** Set when the update completed the item: what the submission protocol made of it. */
  submission: SubmissionOutcome | null;
}

export const EVENTS_LIMIT_MAX = 100;

interface Parser<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

function parseObjectives(value: unknown): ObjectiveRef[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TinytownError('OBJECTIVE_INVALID', 'objectives: give at least one issue or doc objective', {
      field: 'objectives',
    });
  }
  return value.map((entry, index) => {
    const parsed = ObjectiveRef.safeParse(entry);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new TinytownError(
      'OBJECTIVE_INVALID',
      `objectives[${index}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
      { field: `objectives[${index}]` },
    );
  });
}

function parseArtifacts(value: unknown): string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    value.length > 100 ||
    value.some((entry) => typeof entry !== 'string' || entry.trim() === '')
  ) {
    throw invalid('artifacts', 'must be a list of up to 100 non-empty strings');
  }
  return value.map((entry: string) => entry.trim());
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}): TinytownError {
  return new TinytownError('INVALID_INPUT', `${field}: ${message}`, { field, ...details });
}

function conflict(message: string, details: Record<string, unknown>): TinytownError {
  return new TinytownError('INVALID_TRANSITION', message, details);
}

const watchNotFound = (missionId: string, id: string) =>
  new TinytownError('WATCH_NOT_FOUND', `Watch not found: ${id}`, { mission_id: missionId, id });

/**
 * The mission operations of the contract (start, list, status, stop, resume, complete, fail, delete, work
 * items, watches, snooze, events, notes). Every change runs under the mission's lease, taken from any
 * tick holding it (that tick then writes nothing), so an operator's action and the dispatcher never
 * interleave. Errors are TinytownErrors: MISSION_NOT_FOUND, WORK_ITEM_NOT_FOUND and WATCH_NOT_FOUND (404),
 * INVALID_TRANSITION (409), INVALID_ID, INVALID_INPUT, OBJECTIVE_INVALID and DEPENDENCY_CYCLE (400),
 * CONFIG_INVALID (400) for an issue objective without a forge.
 */
export class MissionService {
  private readonly town: Town;
  private readonly forge: Forge | null;
  private readonly townRoot: string;
  private readonly leaseMs: number;
  private readonly clock: () => Date;

  constructor(options: MissionServiceOptions) {
    this.town = options.town;
    this.forge = options.forge ?? null;
    this.townRoot = options.townRoot;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.clock = options.now ?? (() => new Date());
  }

  /** Compiles the objectives and stores the mission, running and due now. Nothing is stored on failure. */
  async start(input: StartMissionInput): Promise<{ mission: MissionRun; work_items: WorkItem[] }> {
    // Stored once each: the mission's objectives are listed, counted and logged from this record.
    const objectives = uniqueObjectives(parseObjectives(input.objectives), this.townRoot);
    const policy = MissionPolicy.safeParse(input.policy ?? {});
    if (!policy.success) {
      const issue = policy.error.issues[0];
      throw invalid(
        `policy${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
        issue?.message ?? 'invalid',
      );
    }
    const now = this.clock();
    const missionId = newId();
    let items: WorkItem[];
    try {
      items = await compileMission({
        missionId,
        objectives,
        forge: this.forge,
        townRoot: this.townRoot,
        now,
      });
    } catch (error) {
      if (isTinytownError(error, 'FORGE_ERROR') && error.details.status === 404) {
        const what = objectives
          .filter((ref) => ref.type === 'issue')
          .map(objectiveLabel)
          .find((label) => String(error.details.url ?? '').includes(`/issues/${label.split('#')[1]}`));
        throw new TinytownError(
          'OBJECTIVE_INVALID',
          `unknown issue${what ? ` ${what}` : ''}: ${error.message}`,
          { objective: what ?? null },
          { cause: error },
        );
      }
      throw error;
    }
    const stamped = items.map((item, seq) => ({ ...item, seq }));
    const iso = now.toISOString();
    // The dispatcher's bookkeeping fields start from the schema's defaults.
    const mission = MissionRun.parse({
      id: missionId,
      objective_refs: objectives,
      state: 'running',
      policy: policy.data,
      created_at: iso,
      updated_at: iso,
      next_wake_at: iso,
      blocked_reason: null,
    });
    await this.town.missions.create(mission, stamped, [
      `Mission started with ${plural(objectives.length, 'objective')}: ${objectives.map(objectiveLabel).join(', ')}`,
      `Compiled ${plural(stamped.length, 'work item')}`,
    ]);
    return { mission, work_items: stamped };
  }

  async list(options: { activeOnly?: boolean } = {}): Promise<MissionSummary[]> {
    const missions = await this.town.missions.list({ activeOnly: options.activeOnly !== false });
    const counts = await this.town.missions.workCounts(missions.map((mission) => mission.id));
    return missions.map((mission) => ({
      id: mission.id,
      state: mission.state,
      objective_count: mission.objective_refs.length,
      work_item_count: counts.get(mission.id)?.total ?? 0,
      completed_count: counts.get(mission.id)?.done ?? 0,
      created_at: mission.created_at,
      updated_at: mission.updated_at,
    }));
  }

  async get(
    id: string,
    options: {
      includeWork?: boolean;
      includeWatches?: boolean;
      includeEvents?: boolean;
      eventsLimit?: number;
    } = {},
  ): Promise<MissionStatusView> {
    const snapshot = await this.town.missions.snapshot(parseId(id, 'mission_id'));
    if (!snapshot) throw missionNotFound(id);
    const count = (status: WorkItem['status']) =>
      snapshot.items.filter((item) => item.status === status).length;
    const newest = snapshot.items.map(newestTaskId).filter((id) => id !== undefined);
    const tasks = new Map((await this.town.tasks.getMany(newest)).map((task) => [task.id, task]));
    const askedAbout = helpSubject(snapshot.mission.dispatcher_last_help_request_reason);
    const view: MissionStatusView = {
      mission: snapshot.mission,
      summary: {
        total_work_items: snapshot.items.length,
        pending: count('pending'),
        ready: count('ready'),
        assigned: count('assigned'),
        running: count('running'),
        done: count('done'),
        blocked: count('blocked'),
        active_watches: snapshot.watches.filter((watch) => watch.status !== 'done').length,
      },
      failed_items: failedWorkItems(snapshot.items, (id) => tasks.get(id)).map((failed) => ({
        ...failed,
        help_requested: failed.work_item_id === askedAbout,
      })),
    };
    if (options.includeWork) view.work_items = snapshot.items;
    if (options.includeWatches) view.watches = snapshot.watches;
    if (options.includeEvents) {
      view.events = await this.town.missions.events(snapshot.mission.id, options.eventsLimit ?? 20);
    }
    return view;
  }

  /** Pauses the mission (state blocked), or with `force` fails it and cancels its open tasks. */
  stop(id: string, options: { force?: boolean } = {}): Promise<MissionActionResult> {
    return this.act(id, (draft) => {
      const previous = draft.mission.state;
      if (isTerminalMission(previous)) {
        throw conflict(`Mission ${draft.mission.id} is ${previous} and cannot be stopped`, {
          id: draft.mission.id,
          state: previous,
        });
      }
      if (options.force) {
        clearHelpState(draft);
        setTerminal(draft, 'failed', 'Stopped by user (forced)');
        draft.log('Mission stopped by user (forced)');
        return 'stopped (forced)';
      }
      // Stopping is idempotent: a second stop changes nothing, not even the record's updated_at.
      if (previous === 'blocked') return 'already stopped';
      clearHelpState(draft);
      setBlocked(draft, 'Stopped by user');
      draft.log('Mission stopped by user');
      return 'stopped';
    });
  }

  /**
   * Runs a stopped or paused mission again. A running or finished one is a conflict (the contract's 409),
   * with `details.state` saying which: `tt mission resume` reports a running one as nothing to do.
   */
  resume(id: string): Promise<MissionActionResult> {
    return this.act(id, (draft) => {
      const previous = draft.mission.state;
      if (previous === 'running' || isTerminalMission(previous)) {
        throw conflict(`Mission ${draft.mission.id} is ${previous} and cannot be resumed`, {
          id: draft.mission.id,
          state: previous,
        });
      }
      clearHelpState(draft);
      setRunning(draft);
      draft.log('Mission resumed by user');
      return 'resumed';
    });
  }

  complete(id: string): Promise<MissionActionResult> {
    return this.act(id, (draft) => {
      const previous = draft.mission.state;
      if (previous === 'completed') return 'already completed';
      if (previous === 'failed') {
        throw conflict(`Mission ${draft.mission.id} failed and cannot be completed`, {
          id: draft.mission.id,
          state: previous,
        });
      }
      setTerminal(draft, 'completed', null);
      draft.log('Mission marked completed by user');
      return 'completed';
    });
  }

  fail(id: string, reason?: string): Promise<MissionActionResult> {
    return this.act(id, (draft) => {
      const previous = draft.mission.state;
      if (previous === 'failed') return 'already failed';
      if (previous === 'completed') {
        throw conflict(`Mission ${draft.mission.id} is completed and cannot fail`, {
          id: draft.mission.id,
          state: previous,
        });
      }
      const why = reason?.trim() || 'Marked failed by user';
      setTerminal(draft, 'failed', why);
      draft.log(`Mission failed: ${why}`);
      return 'failed';
    });
  }

  /**
   * Deletes a completed or failed mission (any mission with `force`); 409 otherwise. A forced delete of an
   * unfinished mission fails it first, so its open tasks are cancelled and its help requests withdrawn.
   */
  async delete(
    id: string,
    options: { force?: boolean } = {},
  ): Promise<{ mission_id: string; deleted: true }> {
    const missionId = parseId(id, 'mission_id');
    if (options.force) {
      // Otherwise its agents would go on working for a mission that is gone, and the conductor would
      // still be asked about it.
      await this.act(missionId, (draft) => {
        if (isTerminalMission(draft.mission.state)) return 'already finished';
        setTerminal(draft, 'failed', 'Deleted by user (forced)');
        draft.log('Mission deleted by user (forced)');
        return 'deleted';
      });
    }
    await this.town.missions.delete(missionId, options);
    return { mission_id: missionId, deleted: true };
  }

  async listWorkItems(id: string, options: { status?: string } = {}): Promise<WorkItem[]> {
    const status = options.status === undefined ? undefined : parseEnum(WorkStatus, options.status, 'status');
    const missionId = await this.requireMission(id);
    const items = await this.town.missions.workItems(missionId);
    return status ? items.filter((item) => item.status === status) : items;
  }

  async getWorkItem(id: string, workItemId: string): Promise<WorkItem> {
    const missionId = parseId(id, 'mission_id');
    const itemId = parseId(workItemId, 'work_item_id');
    const item = await this.town.missions.workItem(missionId, itemId);
    if (item) return item;
    await this.requireMission(missionId);
    throw workItemNotFound(missionId, itemId);
  }

  /**
   * Sets a work item's status and/or adds artifacts. `done` goes through the submission protocol, like a
   * completed work task: PR refs start watches, the reviewer gate asks for a review.
   */
  async updateWorkItem(
    id: string,
    workItemId: string,
    input: UpdateWorkItemInput,
  ): Promise<UpdateWorkItemResult> {
    const itemId = parseId(workItemId, 'work_item_id');
    const status = input.status === undefined ? undefined : parseEnum(WorkStatus, input.status, 'status');
    const added = parseArtifacts(input.artifacts);
    if (status === undefined && added.length === 0) throw invalid('status', 'give a status or artifacts');
    let submission: SubmissionOutcome | null = null;
    await this.act(id, (draft, pool) => {
      const item = draft.items.get(itemId);
      if (!item) throw workItemNotFound(draft.mission.id, itemId);
      if (isTerminalMission(draft.mission.state)) {
        throw conflict(
          `Mission ${draft.mission.id} is ${draft.mission.state}; its work items cannot change`,
          {
            id: draft.mission.id,
            state: draft.mission.state,
          },
        );
      }
      if (item.status === 'done' && status !== undefined && status !== 'done') {
        throw conflict(`Work item ${itemId} is done and cannot become ${status}`, {
          id: itemId,
          from: 'done',
          to: status,
        });
      }
      if (status === 'assigned') {
        throw conflict(
          `Work item ${itemId}: assign work with a redirect note ('redirect <item> to <agent>')`,
          {
            id: itemId,
            to: status,
          },
        );
      }
      // The item's own work and fix tasks no longer speak for it: their later ends are not processed.
      const releaseTasks = () => {
        for (const task of draft.liveTasks(itemId)) if (task.kind !== 'review') draft.liveRemove.add(task.id);
      };
      if (status === 'done') {
        releaseTasks();
        submission = recordSubmission(draft, pool, itemId, [...added, 'api:work-item-update']);
      } else {
        const patch: Partial<WorkItem> = {};
        if (added.length > 0)
          patch.artifact_refs = [
            ...item.artifact_refs,
            ...added.filter((a) => !item.artifact_refs.includes(a)),
          ];
        if (status !== undefined && status !== item.status) {
          patch.status = status;
          if (status === 'ready' || status === 'pending') {
            releaseTasks();
            patch.assigned_to = null;
          }
        }
        draft.setItem(itemId, patch);
        draft.log(
          `Work item '${item.title}' updated through the API${patch.status ? `: ${item.status} -> ${patch.status}` : ''}${added.length > 0 ? ` (+${plural(added.length, 'artifact')})` : ''}`,
        );
      }
      if (draft.mission.state === 'running') draft.wakeAtMs = draft.nowMs;
      return 'updated';
    });
    return { item: await this.getWorkItem(id, itemId), submission };
  }

  async listWatches(id: string, options: { status?: string } = {}): Promise<WatchItem[]> {
    const status =
      options.status === undefined ? undefined : parseEnum(WatchStatus, options.status, 'status');
    const missionId = await this.requireMission(id);
    const watches = await this.town.missions.watches(missionId);
    return status ? watches.filter((watch) => watch.status === status) : watches;
  }

  /** Postpones a watch's next check by `durationSecs` (at least 60). */
  async snoozeWatch(id: string, watchId: string, durationSecs: number): Promise<WatchItem> {
    const wid = parseId(watchId, 'watch_id');
    const secs = validateSnoozeSecs(typeof durationSecs === 'number' ? durationSecs : Number.NaN);
    let snoozed: WatchItem | undefined;
    await this.act(id, (draft) => {
      const watch = draft.watches.get(wid);
      if (!watch) throw watchNotFound(draft.mission.id, wid);
      if (watch.status === 'done') {
        throw conflict(`Watch ${wid} is done and cannot be snoozed`, { id: wid, status: watch.status });
      }
      const due = addSeconds(draft.now, secs);
      snoozed = { ...watch, status: 'snoozed', next_due_at: due };
      draft.setWatch(snoozed);
      draft.scheduleWatch(wid, draft.mission.state === 'running' ? Date.parse(due) : null);
      draft.log(`Watch ${watch.kind} on ${watch.target_ref} snoozed for ${secs}s`);
      return 'snoozed';
    });
    if (!snoozed) throw watchNotFound(id, wid);
    return snoozed;
  }

  /** The newest activity lines, newest first; `limit` 1-100 (default 20). */
  async events(id: string, options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > EVENTS_LIMIT_MAX) {
      throw invalid('limit', `must be a whole number from 1 to ${EVENTS_LIMIT_MAX}`, { value: limit });
    }
    const missionId = await this.requireMission(id);
    return this.town.missions.events(missionId, limit);
  }

  /** Queues an operator note for the next tick (`resume…`, `pause…`, `redirect <item> to <agent>`, text). */
  async addNote(id: string, input: { body: string; sender?: string | undefined }): Promise<MissionNote> {
    const missionId = parseId(id, 'mission_id');
    if (typeof input.body !== 'string' || input.body.trim() === '')
      throw invalid('body', 'must not be empty');
    if (input.body.length > 10_000) throw invalid('body', 'must be at most 10000 characters');
    const sender =
      typeof input.sender === 'string' && input.sender.trim() !== '' ? input.sender.trim() : 'conductor';
    const note = MissionNote.parse({
      id: newId(),
      mission_id: missionId,
      sender: sender.slice(0, 100),
      body: input.body.trim(),
      created_at: this.clock().toISOString(),
      processed_at: null,
    });
    await this.town.missions.addNote(note, `Note from ${note.sender}: ${note.body}`, { retireHelp: true });
    return note;
  }

  async listNotes(id: string): Promise<MissionNote[]> {
    const missionId = await this.requireMission(id);
    return this.town.missions.notes(missionId);
  }

  private async requireMission(id: string): Promise<string> {
    const mission = await this.town.missions.get(id);
    return mission.id;
  }

  /** Runs an operator action under the mission's lease (taken from any tick holding it) and commits it. */
  private async act(
    id: string,
    change: (draft: MissionDraft, pool: AgentPool) => string,
  ): Promise<MissionActionResult> {
    const missionId = parseId(id, 'mission_id');
    const token = await this.town.missions.acquireLease(missionId, this.leaseMs, { steal: true });
    if (token === null) throw missionNotFound(missionId);
    try {
      const draft = await loadDraft(this.town, missionId, this.clock());
      if (!draft) throw missionNotFound(missionId);
      const pool = await loadAgentPool(this.town);
      const previous = draft.mission.state;
      const status = change(draft, pool);
      // An action with nothing to do (already stopped, already running…) writes nothing at all: even an
      // empty commit would move the town's roster revision and make every agent listing read afresh.
      if (!draft.unchanged) await this.town.missions.commit(missionId, token, draft.toCommit());
      return { mission_id: missionId, status, previous_state: previous, new_state: draft.mission.state };
    } finally {
      await this.town.missions.releaseLease(missionId, token).catch(() => false);
    }
  }
}

function parseEnum<T extends string>(schema: Parser<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(field, `not a valid value: '${String(value)}'`, { value });
  return parsed.data;
}
