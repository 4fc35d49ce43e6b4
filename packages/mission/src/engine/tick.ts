import { isTerminalAgentState, type MissionRun, plural } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import type { Forge } from '../forge/forge.js';
import { baseScore, laneOf } from '../scheduler/scoring.js';
import { newestTaskId, waitingOnOperator } from './blocked.js';
import { AgentPool, MissionDraft, type PoolAgent } from './draft.js';
import { helpSubject, itemHelpReason, itemHelpRequests, withdrawAnsweredHelp } from './help.js';
import { isTerminalMission, setTerminal } from './lifecycle.js';
import { processNotes } from './notes.js';
import {
  assignReady,
  finalizeWaiting,
  processEndedTasks,
  promote,
  reconcile,
  requiresReview,
} from './protocol.js';
import { checkDueWatches, type WatchCheck, type WatchEngineOptions } from './watch-engine.js';

export interface HelpPolicy {
  /** Wait before repeating an unchanged help request (doubled per repeat). */
  repeatBaseMs: number;
  /** Largest multiplier of the repeat wait. */
  backoffCap: number;
  /** A running mission with no progress for this long, and nothing in flight, asks for help. */
  stuckMs: number;
}

export const DEFAULT_HELP_POLICY: HelpPolicy = {
  repeatBaseMs: 30 * 60_000,
  backoffCap: 8,
  stuckMs: 30 * 60_000,
};

export interface TickOptions {
  /** The forge watches are checked against; without one their checks fail (CONFIG_INVALID) and back off. */
  forge?: Forge | null;
  now?: Date;
  /** How soon a mission with tasks in flight (or ready work) looks again. */
  pollMs?: number;
  help?: { [K in keyof HelpPolicy]?: HelpPolicy[K] | undefined } | undefined;
  watch?: WatchEngineOptions;
}

export interface MissionTickResult {
  missionId: string;
  /** Why nothing was done: the mission is gone. */
  skipped?: 'missing';
  notes: number;
  endedTasks: string[];
  reconciled: string[];
  completed: string[];
  promoted: string[];
  assigned: [string, string][];
  tasksCreated: string[];
  watchChecks: WatchCheck[];
  previousState: MissionRun['state'] | null;
  state: MissionRun['state'] | null;
  helpRequested: string | null;
  progress: boolean;
}

export const DEFAULT_POLL_MS = 5_000;

/** The agents one dispatcher pass schedules with: every agent, with its queue lengths. */
export async function loadAgentPool(town: Town): Promise<AgentPool> {
  const agents = await town.agents.list();
  return new AgentPool(
    agents.map(
      (agent): PoolAgent => ({
        id: agent.id,
        name: agent.name,
        nickname: agent.nickname,
        role_id: agent.role_id,
        state: agent.state,
        queued: agent.inbox_len + agent.urgent_len,
      }),
    ),
  );
}

/**
 * Reads a mission and its in-flight tasks into a draft, with the newest task of each blocked item (in the
 * same round trip) to tell why it waits; null when the mission is gone.
 */
export async function loadDraft(town: Town, missionId: string, now: Date): Promise<MissionDraft | null> {
  const snapshot = await town.missions.snapshot(missionId);
  if (!snapshot) return null;
  const live = new Set(snapshot.liveTaskIds);
  const newest = snapshot.items
    .map(newestTaskId)
    .filter((id): id is string => id !== undefined && !live.has(id));
  const read = await town.tasks.getMany([...snapshot.liveTaskIds, ...newest]);
  const tasks = read.filter((task) => live.has(task.id));
  const found = new Set(tasks.map((task) => task.id));
  const draft = new MissionDraft(
    snapshot,
    tasks,
    now,
    read.filter((task) => !live.has(task.id)),
  );
  // A task deleted from the store has ended as far as the mission is concerned.
  for (const id of snapshot.liveTaskIds) if (!found.has(id)) draft.liveRemove.add(id);
  return draft;
}

function assessHelp(draft: MissionDraft, pool: AgentPool, policy: HelpPolicy): string | null {
  const mission = draft.mission;
  if (mission.state !== 'running') return null;
  // One request at a time: the item already asked about stays the subject until it is settled.
  const requests = itemHelpRequests(draft);
  const asked = helpSubject(mission.dispatcher_last_help_request_reason);
  const request = requests.find((candidate) => candidate.itemId === asked) ?? requests[0];
  if (request) return request.reason;
  const items = [...draft.items.values()];
  const ready = items.filter((item) => item.status === 'ready').length;
  // Stalled, not queued: while agents work on its other items, ready work simply waits for them.
  const inProgress = items.some((item) => item.status === 'assigned' || item.status === 'running');
  if (ready > 0 && !inProgress && pool.idle().length === 0) {
    return `Mission ${mission.id} has ready work but no idle agents are available`;
  }
  const unfit = items.find(
    (item) =>
      item.status === 'ready' &&
      !pool.agents.some((agent) => !isTerminalAgentState(agent.state) && baseScore(item, agent) > 0),
  );
  if (unfit) {
    return itemHelpReason(
      mission.id,
      unfit.id,
      `ready work no agent can take: '${unfit.title}' (${unfit.kind}${unfit.owner_role ? `, role ${unfit.owner_role}` : ''}); spawn an agent with a fitting role or redirect it`,
    );
  }
  // The reviewer gate never hands a review to the item's own author.
  const unreviewable = items.find(
    (item) =>
      item.status === 'blocked' &&
      !item.reviewer_approved &&
      draft.liveTasks(item.id).length === 0 &&
      requiresReview(draft, item) &&
      !pool.agents.some(
        (agent) =>
          !isTerminalAgentState(agent.state) && laneOf(agent) === 'reviewer' && agent.id !== item.assigned_to,
      ),
  );
  if (unreviewable) {
    const author = pool.get(unreviewable.assigned_to);
    const only =
      author && laneOf(author) === 'reviewer'
        ? `its only reviewer, ${author.name}, is its author`
        : 'no agent with a reviewer role exists';
    return itemHelpReason(
      mission.id,
      unreviewable.id,
      `needs a reviewer for '${unreviewable.title}': ${only}`,
    );
  }
  const lastProgress = Date.parse(mission.dispatcher_last_progress_at ?? mission.created_at);
  const activeWatches = [...draft.watches.values()].some((watch) => watch.status !== 'done');
  if (draft.nowMs - lastProgress >= policy.stuckMs && !draft.hasLiveTasks() && !activeWatches) {
    return `Mission ${mission.id} is still blocked: ${mission.blocked_reason ?? 'no progress'}`;
  }
  return null;
}

/** Sends the help request if it is new, or if the backoff for repeating it has passed. */
function maybeAskForHelp(draft: MissionDraft, reason: string | null, policy: HelpPolicy): string | null {
  if (!reason) return null;
  const mission = draft.mission;
  const changed = reason !== mission.dispatcher_last_help_request_reason;
  const last = mission.dispatcher_last_help_request_at
    ? Date.parse(mission.dispatcher_last_help_request_at)
    : null;
  const attempts = mission.dispatcher_help_request_attempts;
  const wait = policy.repeatBaseMs * Math.min(2 ** Math.min(attempts, 30), Math.max(policy.backoffCap, 1));
  if (!changed && last !== null && draft.nowMs - last < wait) return null;
  draft.setMission({
    dispatcher_last_help_request_at: draft.nowIso,
    dispatcher_last_help_request_reason: reason,
    dispatcher_help_request_attempts: changed ? 1 : Math.min(attempts + 1, 1_000),
  });
  draft.retireHelp = true;
  draft.conductorQuestions.push(
    `[Mission Help Needed] Mission ${mission.id}\n\n${reason}\n\nReply with an operator note: "resume …", "pause …", "redirect <item> to <agent>", or any other note.`,
  );
  draft.log(`Asked the conductor for help: ${reason}`);
  return reason;
}

/** Decides completion, the soft-blocked reason and when the mission next wakes. */
function settle(draft: MissionDraft, pollMs: number, stuckMs: number): void {
  const items = [...draft.items.values()];
  const watches = [...draft.watches.values()];
  const allDone = items.length > 0 && items.every((item) => item.status === 'done');
  const activeWatches = watches.filter((watch) => watch.status !== 'done');
  if (allDone && activeWatches.length === 0) {
    setTerminal(draft, 'completed', null);
    draft.log('Mission completed - all work items and watches done');
    return;
  }
  const live = draft.hasLiveTasks();
  const ready = items.some((item) => item.status === 'ready');
  // An item whose task failed waits for a person, whose note or update wakes the mission: not polled.
  const failed = draft.failedItems();
  const waitingOnPerson = new Set(failed.map((item) => item.work_item_id));
  // Only an item the reviewer gate holds can move on a poll (a reviewer falling idle takes its review);
  // one waiting on its PR's watches wakes the mission when they are due.
  const waitingReview = items.some(
    (item) =>
      item.status === 'blocked' &&
      !waitingOnPerson.has(item.id) &&
      draft.liveTasks(item.id).length === 0 &&
      !item.reviewer_approved &&
      requiresReview(draft, item),
  );
  let reason: string | null = null;
  if (allDone) reason = `Waiting on ${plural(activeWatches.length, 'active watch', 'active watches')}`;
  else {
    // Said even while other items move: the mission cannot finish without the person these wait for.
    reason = waitingOnOperator(failed);
    const inProgress = items.filter((item) => item.status === 'assigned' || item.status === 'running').length;
    const readyCount = items.filter((item) => item.status === 'ready').length;
    if (!reason && readyCount > 0 && inProgress < draft.mission.policy.max_parallel_items) {
      // Assignment ran just before with slots to spare: no agent was idle (or fit) for what is left.
      reason = `Waiting for an idle agent to take ${plural(readyCount, 'ready work item')}`;
    } else if (!reason && !ready && inProgress === 0) {
      reason = 'Waiting on dependency, review, or external watch';
    }
  }
  // Tasks in flight and ready work are polled; watches wake the mission through their own schedule; a
  // mission waiting on nothing scheduled looks again after the stuck interval (to ask for help).
  let wake: number | null;
  if (live || ready || waitingReview) wake = draft.nowMs + pollMs;
  else if (activeWatches.length > 0) wake = null;
  else wake = draft.nowMs + stuckMs;
  const nextWatch = activeWatches.reduce<number | null>((min, watch) => {
    const at = Date.parse(watch.next_due_at);
    return min === null || at < min ? at : min;
  }, null);
  const nextWake =
    [wake, nextWatch].filter((at): at is number => at !== null).sort((a, b) => a - b)[0] ?? null;
  const nextWakeIso = nextWake === null ? null : new Date(nextWake).toISOString();
  if (draft.mission.blocked_reason !== reason || draft.mission.next_wake_at !== nextWakeIso) {
    draft.setMission({ blocked_reason: reason, next_wake_at: nextWakeIso });
  }
  draft.wakeAtMs = wake;
}

/**
 * One scheduler tick of one mission, under its lease (`token`): operator notes, tasks that ended (the
 * submission protocol), reconciliation with live tasks, due watches, gates, promotion, assignment,
 * completion and help — all written in one commit that the store refuses if the lease was lost.
 */
export async function tickMission(
  town: Town,
  missionId: string,
  token: number,
  pool: AgentPool,
  options: TickOptions = {},
): Promise<MissionTickResult> {
  const now = options.now ?? new Date();
  // Each field left out or undefined takes its default (a spread would copy the undefined: NaN waits).
  const help: HelpPolicy = {
    repeatBaseMs: options.help?.repeatBaseMs ?? DEFAULT_HELP_POLICY.repeatBaseMs,
    backoffCap: options.help?.backoffCap ?? DEFAULT_HELP_POLICY.backoffCap,
    stuckMs: options.help?.stuckMs ?? DEFAULT_HELP_POLICY.stuckMs,
  };
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const result: MissionTickResult = {
    missionId,
    notes: 0,
    endedTasks: [],
    reconciled: [],
    completed: [],
    promoted: [],
    assigned: [],
    tasksCreated: [],
    watchChecks: [],
    previousState: null,
    state: null,
    helpRequested: null,
    progress: false,
  };
  const draft = await loadDraft(town, missionId, now);
  if (!draft) return { ...result, skipped: 'missing' };
  result.previousState = draft.mission.state;
  const finished = isTerminalMission(draft.mission.state);

  result.notes = processNotes(draft, pool);
  if (draft.mission.state === 'running') {
    result.endedTasks = processEndedTasks(draft, pool);
    result.reconciled = reconcile(draft, pool);
    result.watchChecks = await checkDueWatches(draft, pool, options.forge, options.watch);
    result.completed = finalizeWaiting(draft, pool);
    result.promoted = promote(draft);
    result.assigned = assignReady(draft, pool);
    settle(draft, pollMs, help.stuckMs);
    if (draft.progress) {
      draft.setMission({
        dispatcher_last_progress_at: now.toISOString(),
        dispatcher_help_request_attempts: 0,
      });
    }
    withdrawAnsweredHelp(draft);
    result.helpRequested = maybeAskForHelp(draft, assessHelp(draft, pool, help), help);
  } else if (isTerminalMission(draft.mission.state)) {
    draft.wakeAtMs = null;
    draft.active = false;
  } else if (draft.wakeAtMs === undefined) {
    // Paused: nothing runs until a note or a resume wakes it.
    draft.wakeAtMs = null;
  }
  // A finished mission's record stays as it ended, however often a dispatcher for it alone looks.
  if (!finished) draft.setMission({ dispatcher_last_tick_at: now.toISOString() });

  await town.missions.commit(missionId, token, draft.toCommit());
  result.tasksCreated = draft.createdTaskIds;
  result.state = draft.mission.state;
  result.progress = draft.progress;
  return result;
}
