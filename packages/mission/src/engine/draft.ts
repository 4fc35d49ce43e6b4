import {
  type Agent,
  isTerminalAgentState,
  isTerminalTaskState,
  MISSION_TASK_TAGS,
  type MissionNote,
  type MissionRun,
  type MissionTaskKind,
  missionTaskBinding,
  newId,
  type Task,
  type WatchItem,
  type WorkItem,
} from '@tinytown/core';
import type { MissionCommit, MissionSnapshot, MissionTaskDraft } from '@tinytown/store';
import type { CandidateAgent } from '../scheduler/scoring.js';
import { type FailedWorkItem, failedWorkItems } from './blocked.js';

/** An agent as the scheduler sees it: state, and how much it has been handed already. */
export type PoolAgent = Pick<Agent, 'id' | 'name' | 'nickname' | 'role_id' | 'state'> & {
  /** Messages waiting in its queues: an idle agent with a queued task_assign is not really free. */
  queued?: number;
};

/**
 * The agents of one dispatcher pass, shared by every mission it ticks, so an agent handed work by one
 * mission carries that load into the next mission's scoring.
 */
export class AgentPool {
  private readonly given = new Map<string, number>();

  constructor(readonly agents: readonly PoolAgent[]) {}

  get(id: string | null | undefined): PoolAgent | undefined {
    return id ? this.agents.find((agent) => agent.id === id) : undefined;
  }

  /** Exists and is not stopped, in error, or cold. */
  isAlive(id: string | null | undefined): boolean {
    const agent = this.get(id);
    return agent !== undefined && !isTerminalAgentState(agent.state);
  }

  idle(): PoolAgent[] {
    return this.agents.filter((agent) => agent.state === 'idle');
  }

  candidates(filter: (agent: PoolAgent) => boolean = () => true): CandidateAgent[] {
    return this.idle()
      .filter(filter)
      .map((agent) => ({
        id: agent.id,
        name: agent.name,
        role_id: agent.role_id,
        load: (agent.queued ?? 0) + (this.given.get(agent.id) ?? 0),
      }));
  }

  give(agentId: string): void {
    this.given.set(agentId, (this.given.get(agentId) ?? 0) + 1);
  }
}

/** A task the mission holds: one it created in an earlier step (its record) or in this one (a draft). */
export interface HeldTask {
  id: string;
  kind: MissionTaskKind;
  workItemId: string;
  state: Task['state'];
  assigned_to: string | null;
  updated_at: string;
  /** Created in this step, not yet stored. */
  draft: boolean;
}

/**
 * A mission being changed by one tick or operator action: the snapshot it read plus every change, turned
 * into one atomic commit at the end.
 */
export class MissionDraft {
  mission: MissionRun;
  readonly items: Map<string, WorkItem>;
  readonly watches: Map<string, WatchItem>;
  readonly notes: MissionNote[];
  /** Tasks the mission still has to hear the end of, by id. */
  readonly tasks: Map<string, Task>;
  /** Newest tasks of blocked items, their end already processed: read only to say why an item waits. */
  private readonly settled: Map<string, Task>;
  private readonly created: HeldTask[] = [];
  private readonly changedItems = new Set<string>();
  private readonly changedWatches = new Set<string>();
  private readonly changedNotes = new Set<string>();
  private missionChanged = false;
  readonly events: string[] = [];
  readonly createTasks: MissionTaskDraft[] = [];
  readonly cancelTasks: { id: string; reason: string }[] = [];
  readonly liveRemove = new Set<string>();
  readonly conductorQuestions: string[] = [];
  readonly watchDue = new Map<string, number | null>();
  retireHelp = false;
  active: boolean | undefined;
  wakeAtMs: number | null | undefined;
  /** Something moved: the help-request backoff starts over. */
  progress = false;

  constructor(
    snapshot: MissionSnapshot,
    tasks: readonly Task[],
    readonly now: Date,
    settled: readonly Task[] = [],
  ) {
    this.mission = snapshot.mission;
    this.items = new Map(snapshot.items.map((item) => [item.id, item]));
    this.watches = new Map(snapshot.watches.map((watch) => [watch.id, watch]));
    this.notes = snapshot.notes;
    this.tasks = new Map(tasks.map((task) => [task.id, task]));
    this.settled = new Map(settled.map((task) => [task.id, task]));
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  get nowMs(): number {
    return this.now.getTime();
  }

  /** Items in assignment order (compiled order, then creation). */
  orderedItems(): WorkItem[] {
    return [...this.items.values()].sort(
      (a, b) => a.seq - b.seq || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    );
  }

  setMission(patch: Partial<MissionRun>): MissionRun {
    this.mission = { ...this.mission, ...patch, updated_at: this.nowIso };
    this.missionChanged = true;
    return this.mission;
  }

  setItem(id: string, patch: Partial<WorkItem>): WorkItem {
    const current = this.items.get(id);
    if (!current) throw new Error(`no work item ${id} in mission ${this.mission.id}`);
    const next = { ...current, ...patch, updated_at: this.nowIso };
    this.items.set(id, next);
    this.changedItems.add(id);
    return next;
  }

  setWatch(watch: WatchItem): void {
    this.watches.set(watch.id, watch);
    this.changedWatches.add(watch.id);
  }

  setNote(note: MissionNote): void {
    const index = this.notes.findIndex((existing) => existing.id === note.id);
    if (index >= 0) this.notes[index] = note;
    this.changedNotes.add(note.id);
  }

  log(text: string): void {
    this.events.push(text);
  }

  /** Tasks of the item that have not ended (stored and created in this step), optionally of one kind. */
  liveTasks(workItemId: string, kind?: MissionTaskKind): HeldTask[] {
    const held: HeldTask[] = [];
    for (const task of this.tasks.values()) {
      if (isTerminalTaskState(task.state) || this.liveRemove.has(task.id)) continue;
      if (this.cancelTasks.some((cancel) => cancel.id === task.id)) continue;
      const binding = missionTaskBinding(task.tags);
      if (!binding || binding.workItemId !== workItemId) continue;
      held.push({
        id: task.id,
        kind: binding.kind,
        workItemId,
        state: task.state,
        assigned_to: task.assigned_to,
        updated_at: task.updated_at,
        draft: false,
      });
    }
    for (const task of this.created) if (task.workItemId === workItemId) held.push(task);
    return kind ? held.filter((task) => task.kind === kind) : held;
  }

  /** Blocked items that wait for a person because their newest task failed or was cancelled. */
  failedItems(): FailedWorkItem[] {
    return failedWorkItems(this.orderedItems(), (id) => this.tasks.get(id) ?? this.settled.get(id));
  }

  hasLiveTasks(): boolean {
    for (const task of this.tasks.values()) {
      if (!isTerminalTaskState(task.state) && !this.liveRemove.has(task.id)) return true;
    }
    return this.created.length > 0;
  }

  /** Creates a mission task for the item (assigned to `agentId`, or on the backlog when null). */
  createTask(
    item: WorkItem,
    kind: MissionTaskKind,
    description: string,
    agentId: string | null,
    extraTags: readonly string[] = [],
  ): string {
    const id = newId();
    const kindTag =
      kind === 'review'
        ? MISSION_TASK_TAGS.review
        : kind === 'fix'
          ? MISSION_TASK_TAGS.fix
          : MISSION_TASK_TAGS.work;
    const tags = [
      kindTag,
      MISSION_TASK_TAGS.kind(kind),
      MISSION_TASK_TAGS.mission(this.mission.id),
      MISSION_TASK_TAGS.workItem(item.id),
      ...extraTags,
    ];
    this.createTasks.push({ id, description, tags, assignTo: agentId });
    this.created.push({
      id,
      kind,
      workItemId: item.id,
      state: agentId ? 'assigned' : 'pending',
      assigned_to: agentId,
      updated_at: this.nowIso,
      draft: true,
    });
    this.setItem(item.id, { task_ids: [...(this.items.get(item.id)?.task_ids ?? item.task_ids), id] });
    return id;
  }

  cancelTask(id: string, reason: string): void {
    if (!this.cancelTasks.some((cancel) => cancel.id === id)) this.cancelTasks.push({ id, reason });
  }

  scheduleWatch(id: string, atMs: number | null): void {
    this.watchDue.set(id, atMs);
  }

  /** Everything changed, as one commit. */
  toCommit(): MissionCommit {
    return {
      mission: this.missionChanged ? this.mission : undefined,
      active: this.active,
      items: [...this.changedItems].map((id) => this.items.get(id)).filter((item) => item !== undefined),
      watches: [...this.changedWatches]
        .map((id) => this.watches.get(id))
        .filter((watch) => watch !== undefined),
      notes: this.notes.filter((note) => this.changedNotes.has(note.id)),
      events: this.events,
      wakeAtMs: this.wakeAtMs,
      watchDue: [...this.watchDue.entries()].map(([id, atMs]) => ({ id, atMs })),
      createTasks: this.createTasks,
      cancelTasks: this.cancelTasks,
      liveRemove: [...this.liveRemove],
      conductorQuestions: this.conductorQuestions,
      retireHelp: this.retireHelp,
    };
  }

  /** Nothing to write: every part of the commit is absent, false or empty. */
  get unchanged(): boolean {
    return Object.values(this.toCommit()).every(
      (part) => part === undefined || part === false || (Array.isArray(part) && part.length === 0),
    );
  }

  get createdTaskIds(): string[] {
    return this.createTasks.map((task) => task.id);
  }
}
