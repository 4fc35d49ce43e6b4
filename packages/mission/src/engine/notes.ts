import {
  isTinytownError,
  isUuid,
  type MissionNote,
  matchAgentRef,
  plural,
  type WorkItem,
} from '@tinytown/core';
import type { AgentPool, MissionDraft } from './draft.js';
import { isTerminalMission, setBlocked, setRunning } from './lifecycle.js';
import { workTaskDescription } from './protocol.js';

export type NoteDirective =
  | { kind: 'resume' }
  | { kind: 'pause' }
  | { kind: 'redirect'; itemRef: string | null; agentRef: string; reason: string }
  | { kind: 'note' };

const REDIRECT_VERBS = new Set(['redirect', 'reassign', 'reroute', 'rebind']);

/**
 * Reads an operator note: `resume…`/`retry…`, `pause…`/`hold…`, `redirect [<item>] to <agent> [reason]`
 * (also reassign, reroute, rebind), anything else is a plain note.
 */
export function parseNote(body: string): NoteDirective {
  const text = body.trim();
  const tokens = text.split(/\s+/);
  const verb = tokens[0]?.toLowerCase() ?? '';
  if (REDIRECT_VERBS.has(verb)) {
    const to = tokens.findIndex((token, index) => index > 0 && token.toLowerCase() === 'to');
    if (to === 1 || to === 2) {
      const agentRef = tokens[to + 1];
      if (agentRef) {
        return {
          kind: 'redirect',
          itemRef: to === 2 ? (tokens[1] ?? null) : null,
          agentRef,
          reason: tokens.slice(to + 2).join(' '),
        };
      }
    }
  }
  const lower = text.toLowerCase();
  if (/^(resume|retry)\b/.test(lower)) return { kind: 'resume' };
  if (/^(pause|hold)\b/.test(lower)) return { kind: 'pause' };
  return { kind: 'note' };
}

function resolveItem(draft: MissionDraft, ref: string | null): WorkItem | null {
  const open = draft.orderedItems().filter((item) => item.status !== 'done');
  if (ref === null) return open.length === 1 ? (open[0] ?? null) : null;
  const wanted = ref.toLowerCase();
  // A done item stays done (as through the API): a full id resolves among the open items too.
  if (isUuid(wanted)) return open.find((item) => item.id === wanted) ?? null;
  const matches = open.filter((item) => item.id.startsWith(wanted));
  return matches.length === 1 ? (matches[0] ?? null) : null;
}

function redirect(
  draft: MissionDraft,
  pool: AgentPool,
  note: MissionNote,
  directive: Extract<NoteDirective, { kind: 'redirect' }>,
): void {
  const item = resolveItem(draft, directive.itemRef);
  if (!item) {
    draft.log(
      `Dispatcher ignored redirect directive from ${note.sender}: could not resolve work item in '${note.body}'`,
    );
    return;
  }
  let agentId: string;
  let agentName: string;
  try {
    const agent = matchAgentRef(directive.agentRef, pool.agents);
    agentId = agent.id;
    agentName = agent.name;
  } catch (error) {
    // Unknown or ambiguous: logged and skipped, never a poison note that aborts every tick.
    const why = isTinytownError(error) ? error.message : String(error);
    draft.log(`Dispatcher ignored redirect directive from ${note.sender}: ${why}`);
    return;
  }
  // Handed to a stopped agent, the item would only bounce back on the next tick, and whoever held it would
  // have lost its task for nothing.
  if (!pool.isAlive(agentId)) {
    draft.log(
      `Dispatcher ignored redirect directive from ${note.sender}: agent '${agentName}' is ${pool.get(agentId)?.state ?? 'gone'}; restart it ('tt restart ${agentName}') or name another agent`,
    );
    return;
  }
  let cancelled = 0;
  let kept = false;
  for (const task of draft.liveTasks(item.id)) {
    if (task.assigned_to === agentId && task.kind !== 'review') {
      kept = true;
      continue;
    }
    if (task.draft) continue;
    draft.cancelTask(
      task.id,
      `Superseded by dispatcher redirect to ${agentName}${directive.reason ? ` (${directive.reason})` : ''}`,
    );
    cancelled += 1;
  }
  const assignedItem = draft.setItem(item.id, {
    status: 'assigned',
    assigned_to: agentId,
    reviewer_approved: false,
  });
  if (!kept) {
    const hasArtifacts = assignedItem.artifact_refs.length > 0;
    const base = workTaskDescription(draft, assignedItem).replace(
      '[Mission Work Item]',
      hasArtifacts ? '[Mission Fix Redirect]' : '[Mission Redirect]',
    );
    const details = [
      base,
      `Assigned by an operator redirect to ${agentName}.`,
      ...(directive.reason ? [`Operator correction: ${directive.reason}`] : []),
      hasArtifacts
        ? `Latest artifacts/refs:\n${assignedItem.artifact_refs.map((ref) => `- ${ref}`).join('\n')}`
        : 'No artifact refs recorded yet.',
    ].join('\n');
    draft.createTask(assignedItem, hasArtifacts ? 'fix' : 'work', details, agentId);
    pool.give(agentId);
  }
  if (draft.mission.state === 'blocked') setRunning(draft);
  draft.log(
    `Redirected work item '${item.title}' to '${agentName}' from ${note.sender}${cancelled > 0 ? `; cancelled ${plural(cancelled, 'superseded mission task')}` : ''}${directive.reason ? ` (${directive.reason})` : ''}`,
  );
}

/**
 * Applies pending operator notes oldest first. Every note is marked processed whatever its outcome, and
 * a note that cannot be applied is logged, never an error: one bad note must not stop the mission.
 */
export function processNotes(draft: MissionDraft, pool: AgentPool): number {
  const pending = draft.notes.filter((note) => note.processed_at === null);
  for (const note of pending) {
    const directive = parseNote(note.body);
    const state = draft.mission.state;
    switch (directive.kind) {
      case 'resume':
        if (state === 'blocked') {
          setRunning(draft);
          draft.log(`Dispatcher received resume directive from ${note.sender}: ${note.body}`);
        } else if (state === 'running') {
          // "Retry": items whose task failed are handed out again, failing or snoozed watches checked now.
          const retried = draft.failedItems();
          for (const failed of retried) {
            draft.setItem(failed.work_item_id, { status: 'ready', assigned_to: null });
          }
          let rearmed = 0;
          for (const watch of draft.watches.values()) {
            if (watch.status === 'done') continue;
            draft.setWatch({
              ...watch,
              status: 'active',
              next_due_at: draft.nowIso,
              consecutive_failures: 0,
            });
            draft.scheduleWatch(watch.id, draft.nowMs);
            rearmed += 1;
          }
          draft.wakeAtMs = draft.nowMs;
          draft.log(
            `Dispatcher received retry directive from ${note.sender} (handing out ${plural(retried.length, 'failed work item')} again, re-checking ${plural(rearmed, 'watch', 'watches')}): ${note.body}`,
          );
        } else {
          draft.log(
            `Dispatcher ignored resume directive from ${note.sender} while mission was ${state}: ${note.body}`,
          );
        }
        break;
      case 'pause':
        if (state === 'running') {
          setBlocked(draft, `Paused by ${note.sender}: ${note.body}`);
          draft.log(`Dispatcher received pause directive from ${note.sender}: ${note.body}`);
        } else {
          draft.log(
            `Dispatcher ignored pause directive from ${note.sender} while mission was ${state}: ${note.body}`,
          );
        }
        break;
      case 'redirect':
        if (isTerminalMission(state)) {
          draft.log(
            `Dispatcher ignored redirect directive from ${note.sender} while mission was ${state}: ${note.body}`,
          );
        } else {
          redirect(draft, pool, note, directive);
        }
        break;
      case 'note':
        draft.log(`Dispatcher received operator note from ${note.sender}: ${note.body}`);
        break;
    }
    draft.setNote({ ...note, processed_at: draft.nowIso });
  }
  // A reply is progress: the help-request backoff starts over, so a question it did not settle is asked
  // again after the base wait, not at once (forgetting the question would repeat it in this very tick).
  if (pending.length > 0) draft.progress = true;
  return pending.length;
}
