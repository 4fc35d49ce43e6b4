import { isTerminalTaskState, type MissionState, TERMINAL_MISSION_STATES } from '@tinytown/core';
import type { MissionDraft } from './draft.js';

export const isTerminalMission = (state: MissionState) => TERMINAL_MISSION_STATES.includes(state);

/** Running again: back on the schedule with its open watches. */
export function setRunning(draft: MissionDraft): void {
  draft.setMission({ state: 'running', blocked_reason: null, next_wake_at: draft.nowIso });
  draft.active = true;
  draft.wakeAtMs = draft.nowMs;
  for (const watch of draft.watches.values()) {
    if (watch.status !== 'done')
      draft.scheduleWatch(watch.id, Math.max(draft.nowMs, Date.parse(watch.next_due_at)));
  }
}

/** Paused or stopped: nothing is scheduled (a note wakes it), its tasks keep going. */
export function setBlocked(draft: MissionDraft, reason: string): void {
  draft.setMission({ state: 'blocked', blocked_reason: reason, next_wake_at: null });
  draft.wakeAtMs = null;
  for (const watch of draft.watches.values()) draft.scheduleWatch(watch.id, null);
}

/** Completed or failed: off every schedule and index, its open tasks cancelled, its help requests withdrawn. */
export function setTerminal(draft: MissionDraft, state: 'completed' | 'failed', reason: string | null): void {
  draft.setMission({
    state,
    blocked_reason: state === 'failed' ? reason : null,
    next_wake_at: null,
  });
  draft.active = false;
  draft.wakeAtMs = null;
  // A finished mission needs no help: its questions leave the conductor's inbox.
  draft.retireHelp = true;
  for (const watch of draft.watches.values()) draft.scheduleWatch(watch.id, null);
  for (const task of draft.tasks.values()) {
    if (!isTerminalTaskState(task.state)) draft.cancelTask(task.id, `Mission ${draft.mission.id} ${state}`);
  }
}

export function clearHelpState(draft: MissionDraft): void {
  draft.setMission({
    dispatcher_last_help_request_at: null,
    dispatcher_last_help_request_reason: null,
    dispatcher_help_request_attempts: 0,
  });
  draft.retireHelp = true;
}
