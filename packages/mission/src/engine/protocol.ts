import {
  isTerminalTaskState,
  missionTaskBinding,
  newId,
  type Task,
  type WatchItem,
  type WatchKind,
  type WorkItem,
} from '@tinytown/core';
import { extractPrRefs, formatRef, parsePrRef, refKey } from '../forge/pr-ref.js';
import { parseReviewVerdict } from '../review/review-verdict.js';
import { chooseAgent, laneOf } from '../scheduler/scoring.js';
import type { AgentPool, MissionDraft } from './draft.js';

/** The reviewer gate: implement and test work needs an approval when the policy asks for reviewers. */
export function requiresReview(draft: MissionDraft, item: WorkItem): boolean {
  return draft.mission.policy.reviewer_required && (item.kind === 'implement' || item.kind === 'test');
}

export type SubmissionOutcome = 'completed' | 'waiting_for_review' | 'waiting_for_external' | 'already_done';

const WATCH_KINDS: readonly [WatchKind, WatchItem['on_trigger']][] = [
  ['pr_checks', 'create_fix_task'],
  ['bugbot_comments', 'create_fix_task'],
  ['review_comments', 'create_fix_task'],
  ['mergeability', 'advance_pipeline'],
];

function appendUnique(list: readonly string[], additions: readonly string[]): string[] {
  const next = [...list];
  for (const entry of additions) if (entry.trim() !== '' && !next.includes(entry)) next.push(entry);
  return next;
}

/** The mission's issue objectives: workers quote them as `owner/repo#N`, which must not become PR watches. */
function issueRefs(draft: MissionDraft): string[] {
  return draft.mission.objective_refs
    .filter((ref) => ref.type === 'issue')
    .map((ref) => (ref.type === 'issue' ? formatRef(ref) : ''));
}

function lastPrRef(item: WorkItem): string {
  for (let i = item.artifact_refs.length - 1; i >= 0; i--) {
    const refs = extractPrRefs(item.artifact_refs[i] ?? '');
    const last = refs[refs.length - 1];
    if (last) return formatRef(last);
  }
  return 'no PR reference recorded';
}

function header(draft: MissionDraft, item: WorkItem): string {
  return `Mission: ${draft.mission.id}\nWork item: ${item.id}\nSource: ${item.source_ref ?? 'unknown'}`;
}

const SUBMIT_HINT =
  'When you are done, complete this task with a result that names the pull request (its URL or owner/repo#N) so the mission can watch its checks and reviews. The mission and work item ids above are not task ids.';

export function workTaskDescription(draft: MissionDraft, item: WorkItem): string {
  return `[Mission Work Item] ${item.title}\n${header(draft, item)}\n\n${SUBMIT_HINT}`;
}

/** Creates the four watches of each PR the submission names, or re-arms the existing ones. */
export function ensurePrWatches(draft: MissionDraft, item: WorkItem, refs: readonly string[]): number {
  let created = 0;
  for (const target of refs) {
    const parsed = parsePrRef(target);
    if (!parsed) continue;
    const targetRef = formatRef(parsed);
    for (const [kind, onTrigger] of WATCH_KINDS) {
      const existing = [...draft.watches.values()].find(
        (watch) =>
          watch.work_item_id === item.id &&
          watch.kind === kind &&
          refKey(parsePrRef(watch.target_ref) ?? parsed) === refKey(parsed),
      );
      if (existing) {
        // What was seen stays remembered: only findings on the new commit count.
        draft.setWatch({
          ...existing,
          status: 'active',
          next_due_at: draft.nowIso,
          consecutive_failures: 0,
          last_error: null,
        });
        draft.scheduleWatch(existing.id, draft.nowMs);
        continue;
      }
      const watch: WatchItem = {
        id: newId(),
        mission_id: draft.mission.id,
        work_item_id: item.id,
        kind,
        target_ref: targetRef,
        interval_secs: draft.mission.policy.watch_interval_secs,
        next_due_at: draft.nowIso,
        status: 'active',
        on_trigger: onTrigger,
        last_check_at: null,
        consecutive_failures: 0,
        seen: { checks: [], comments: [], acted_at_sha: null },
        last_error: null,
        merge_attempted_sha: null,
      };
      draft.setWatch(watch);
      draft.scheduleWatch(watch.id, draft.nowMs);
      created += 1;
    }
  }
  return created;
}

/**
 * Gives the item one review task: never a second while one is open, never to the item's own author.
 * Returns false when no reviewer is idle; later ticks try again.
 */
export function ensureReviewTask(
  draft: MissionDraft,
  pool: AgentPool,
  item: WorkItem,
  note?: string,
): boolean {
  if (draft.liveTasks(item.id, 'review').length > 0) return true;
  const reviewers = pool.candidates((agent) => laneOf(agent) === 'reviewer' && agent.id !== item.assigned_to);
  const choice = chooseAgent({ kind: 'review', owner_role: 'reviewer' }, reviewers);
  if (!choice) return false;
  const description = [
    `[Mission Review] ${item.title}`,
    header(draft, item),
    `Latest PR/ref: ${lastPrRef(item)}`,
    ...(note ? ['', note] : []),
    '',
    "Review the submission, then complete this task with a result starting 'approved: …' or 'rejected: <what to change>'.",
  ].join('\n');
  const taskId = draft.createTask(item, 'review', description, choice.agent.id);
  pool.give(choice.agent.id);
  draft.log(`Assigned review task ${taskId} for '${item.title}' to ${choice.agent.name}`);
  draft.progress = true;
  return true;
}

/**
 * A fix task for the item's owner (or, if the owner is gone, the best idle agent, else the backlog).
 * `extraTags` marks watch-triggered fixes with their watch.
 */
export function createFixTask(
  draft: MissionDraft,
  pool: AgentPool,
  item: WorkItem,
  reason: string,
  options: { heading?: string; extraTags?: string[] } = {},
): string {
  let owner: string | null = item.assigned_to && pool.isAlive(item.assigned_to) ? item.assigned_to : null;
  if (!owner) {
    const choice = chooseAgent({ kind: 'followup', owner_role: item.owner_role }, pool.candidates());
    owner = choice?.agent.id ?? null;
  }
  const description = [
    `${options.heading ?? '[Mission Fix]'} ${item.title}`,
    header(draft, item),
    `Reason: ${reason}`,
    `Latest PR/ref: ${lastPrRef(item)}`,
    '',
    'Update the pull request to address this, then complete this task with the PR URL or owner/repo#N again.',
  ].join('\n');
  const taskId = draft.createTask(item, 'fix', description, owner, options.extraTags);
  if (owner) pool.give(owner);
  draft.log(
    `Created fix task ${taskId} for '${item.title}'${owner ? ` (agent ${pool.get(owner)?.name ?? owner})` : ' on the backlog'}: ${reason}`,
  );
  draft.progress = true;
  return taskId;
}

/**
 * The submission protocol: a work or fix result (or a completion through the API) with PR refs blocks
 * the item behind the PRs' four watches, and behind one review task when the reviewer gate applies;
 * without PR refs the gate alone decides; otherwise the item is done.
 */
export function recordSubmission(
  draft: MissionDraft,
  pool: AgentPool,
  itemId: string,
  artifacts: readonly string[],
): SubmissionOutcome {
  const current = draft.items.get(itemId);
  if (!current) throw new Error(`no work item ${itemId}`);
  if (current.status === 'done') {
    draft.setItem(itemId, { artifact_refs: appendUnique(current.artifact_refs, artifacts) });
    return 'already_done';
  }
  const refs = extractPrRefs(artifacts.join('\n'), { exclude: issueRefs(draft) }).map(formatRef);
  const gate = requiresReview(draft, current);
  draft.progress = true;
  if (refs.length === 0 && !gate) {
    draft.setItem(itemId, {
      status: 'done',
      artifact_refs: appendUnique(current.artifact_refs, artifacts),
      reviewer_approved: current.reviewer_approved,
    });
    draft.log(`Work item '${current.title}' completed`);
    return 'completed';
  }
  const item = draft.setItem(itemId, {
    status: 'blocked',
    artifact_refs: appendUnique(current.artifact_refs, artifacts),
    reviewer_approved: false,
  });
  if (refs.length > 0) {
    ensurePrWatches(draft, item, refs);
    draft.log(
      `Work item '${item.title}' submitted ${refs.join(', ')}: watching checks, comments and mergeability`,
    );
  }
  if (gate) {
    if (!ensureReviewTask(draft, pool, item)) {
      draft.log(`No idle reviewer for '${item.title}' yet; the review will be assigned when one is free`);
    }
    return 'waiting_for_review';
  }
  return 'waiting_for_external';
}

function approve(draft: MissionDraft, itemId: string, artifacts: readonly string[], note: string): void {
  const item = draft.items.get(itemId);
  if (!item || item.status === 'done') return;
  draft.setItem(itemId, {
    reviewer_approved: true,
    status: item.status === 'pending' || item.status === 'ready' ? item.status : 'blocked',
    artifact_refs: appendUnique(item.artifact_refs, artifacts),
  });
  draft.log(`Reviewer approved '${item.title}'${note ? `: ${note}` : ''}`);
  draft.progress = true;
}

function requestChanges(draft: MissionDraft, pool: AgentPool, itemId: string, reason: string): void {
  const item = draft.items.get(itemId);
  if (!item || item.status === 'done') return;
  const next = draft.setItem(itemId, { reviewer_approved: false, status: 'blocked' });
  draft.log(`Reviewer requested changes for '${item.title}': ${reason}`);
  createFixTask(draft, pool, next, `reviewer requested changes: ${reason}`);
}

/** What one ended mission task means for its item; every task is processed once, whatever ended it. */
function processEndedTask(draft: MissionDraft, pool: AgentPool, task: Task): void {
  const binding = missionTaskBinding(task.tags);
  const item = binding ? draft.items.get(binding.workItemId) : undefined;
  if (!binding || !item) return;
  if (task.state === 'completed') {
    const result = task.result?.trim() ?? '';
    if (binding.kind === 'review') {
      const verdict = parseReviewVerdict(result);
      if (verdict.verdict === 'approve') approve(draft, item.id, [`task:${task.id}`], verdict.note);
      else if (verdict.verdict === 'changes') requestChanges(draft, pool, item.id, verdict.reason);
      else {
        draft.log(`Review of '${item.title}' gave no verdict ('${verdict.text.slice(0, 80)}'); asking again`);
        if (item.status !== 'done') {
          ensureReviewTask(
            draft,
            pool,
            item,
            "Your previous review had no clear verdict: start the result with 'approved:' or 'rejected:'.",
          );
        }
      }
      return;
    }
    recordSubmission(draft, pool, item.id, [`task:${task.id}`, ...(result ? [result] : [])]);
    return;
  }
  // Failed, cancelled or deleted.
  const how = task.state === 'failed' ? 'failed' : 'ended without a result';
  draft.progress = true;
  if (binding.kind === 'work') {
    const stillHeld = draft.liveTasks(item.id).some((held) => held.kind !== 'review' && held.id !== task.id);
    if ((item.status === 'assigned' || item.status === 'running') && !stillHeld) {
      if (task.state === 'failed') {
        // The agent gave up and said why. Handing the item straight out again would give it back to the
        // same best-scoring agent, which fails it again, on every poll: a person decides instead.
        const why = task.result?.trim() || 'no reason given';
        draft.setItem(item.id, { status: 'blocked' });
        // The conductor is asked by the help check, which finds every item waiting so (blocked.ts).
        draft.log(`Work task ${task.id} for '${item.title}' failed: ${why}; the item waits for an operator`);
      } else {
        draft.setItem(item.id, { status: 'ready', assigned_to: null });
        draft.log(`Work task ${task.id} for '${item.title}' ${how}; the item is ready again`);
      }
    }
  } else if (binding.kind === 'fix') {
    // The findings it was for were already acted on: the item waits for a person, who is asked.
    const stillHeld = draft.liveTasks(item.id).some((held) => held.kind !== 'review' && held.id !== task.id);
    if ((item.status === 'assigned' || item.status === 'running') && !stillHeld) {
      draft.setItem(item.id, { status: 'blocked' });
    }
    draft.log(`Fix task ${task.id} for '${item.title}' ${how}`);
  } else {
    // The reviewer gate asks again on this tick.
    draft.log(`Review task ${task.id} for '${item.title}' ${how}`);
  }
}

/**
 * Processes every mission task that ended since the last tick, by any path (store, REST, SDK, `tt`,
 * recovery, deletion). Why reconciliation and not a completions queue fed by the task scripts: the
 * generic task transitions stay unaware of missions, every way a task can end is covered the same way
 * (the original only hooked one CLI command), and it costs only the mission's own live-task set
 * (`mission:<id>:tasks`, ids leave it in the same commit that processes them, so each end is handled
 * exactly once). A mission with tasks in flight is due every poll interval, so an end is seen within one.
 */
export function processEndedTasks(draft: MissionDraft, pool: AgentPool): string[] {
  const ended: Task[] = [];
  for (const task of draft.tasks.values()) if (isTerminalTaskState(task.state)) ended.push(task);
  ended.sort(
    (a, b) =>
      (a.completed_at ?? a.updated_at).localeCompare(b.completed_at ?? b.updated_at) ||
      a.id.localeCompare(b.id),
  );
  for (const task of ended) {
    processEndedTask(draft, pool, task);
    draft.liveRemove.add(task.id);
  }
  return ended.map((task) => task.id);
}

const KIND_RANK = { work: 3, fix: 2, review: 1 } as const;
const STATE_RANK: Partial<Record<Task['state'], number>> = { running: 2, assigned: 1 };

/**
 * Brings items in line with their live tasks: the newest work or fix task owns the item and drives its
 * status. Review tasks never take ownership (the original handed later fixes to the reviewer). An item
 * that is assigned or running with no live work left is released.
 */
export function reconcile(draft: MissionDraft, pool: AgentPool): string[] {
  const changed: string[] = [];
  for (const item of draft.orderedItems()) {
    if (item.status === 'done') continue;
    const owners = draft
      .liveTasks(item.id)
      .filter((task) => task.kind !== 'review')
      .sort(
        (a, b) =>
          KIND_RANK[b.kind] - KIND_RANK[a.kind] ||
          (STATE_RANK[b.state] ?? 0) - (STATE_RANK[a.state] ?? 0) ||
          b.updated_at.localeCompare(a.updated_at),
      );
    // A task whose agent is gone (stopped, in error, deleted) will never end by itself: hand the work on.
    for (const task of draft.liveTasks(item.id)) {
      if (task.draft || !task.assigned_to || pool.isAlive(task.assigned_to)) continue;
      const stored = draft.tasks.get(task.id);
      draft.cancelTask(task.id, `Agent ${pool.get(task.assigned_to)?.name ?? task.assigned_to} is gone`);
      if (task.kind === 'review') {
        // The reviewer gate asks another reviewer in this same tick.
        draft.log(`Cancelled review task ${task.id} of '${item.title}': its reviewer is gone`);
        continue;
      }
      if (task.kind === 'work') {
        draft.setItem(item.id, { status: 'ready', assigned_to: null });
        draft.log(`Released '${item.title}': the agent of its work task ${task.id} is gone`);
      } else {
        const current = draft.setItem(item.id, { assigned_to: null });
        const choice = chooseAgent({ kind: 'followup', owner_role: item.owner_role }, pool.candidates());
        const id = draft.createTask(
          current,
          'fix',
          stored?.description ?? `[Mission Fix] ${item.title}`,
          choice?.agent.id ?? null,
        );
        if (choice) pool.give(choice.agent.id);
        draft.log(`Handed fix task ${task.id} of '${item.title}' on as ${id}: its agent is gone`);
      }
      changed.push(item.id);
    }
    if (changed.includes(item.id)) continue;
    const owner = owners.find((task) => !draft.cancelTasks.some((cancel) => cancel.id === task.id));
    if (owner) {
      const patch: Partial<WorkItem> = {};
      if (owner.assigned_to && owner.assigned_to !== item.assigned_to) patch.assigned_to = owner.assigned_to;
      const mirrored = owner.state === 'running' ? 'running' : owner.state === 'assigned' ? 'assigned' : null;
      if (mirrored && mirrored !== item.status) patch.status = mirrored;
      if (Object.keys(patch).length > 0) {
        draft.setItem(item.id, patch);
        draft.log(
          `Work item '${item.title}' follows its live ${owner.kind} task ${owner.id}${patch.status ? ` (${patch.status})` : ''}`,
        );
        changed.push(item.id);
      }
      continue;
    }
    if (item.status === 'assigned' || item.status === 'running') {
      draft.setItem(item.id, { status: 'ready', assigned_to: null });
      draft.log(`Released '${item.title}': no live task holds it`);
      changed.push(item.id);
    } else if (item.status === 'blocked' && item.assigned_to && !pool.get(item.assigned_to)) {
      draft.setItem(item.id, { assigned_to: null });
      changed.push(item.id);
    }
  }
  if (changed.length > 0) draft.progress = true;
  return changed;
}

/**
 * Blocked items whose gates cleared become done: approved (or no gate), every watch done, nothing live.
 * Items still waiting for a review get one review task when a reviewer is idle.
 */
export function finalizeWaiting(draft: MissionDraft, pool: AgentPool): string[] {
  const completed: string[] = [];
  for (const item of draft.orderedItems()) {
    if (item.status !== 'blocked') continue;
    if (item.artifact_refs.length === 0 && !item.reviewer_approved) continue;
    if (draft.liveTasks(item.id).some((task) => task.kind !== 'review')) continue;
    const gate = requiresReview(draft, item);
    if (gate && !item.reviewer_approved) {
      ensureReviewTask(draft, pool, item);
      continue;
    }
    const watches = [...draft.watches.values()].filter((watch) => watch.work_item_id === item.id);
    if (watches.some((watch) => watch.status !== 'done')) continue;
    draft.setItem(item.id, { status: 'done' });
    draft.log(`Work item '${item.title}' completed after its review and watch gates`);
    draft.progress = true;
    completed.push(item.id);
  }
  return completed;
}

/** Pending items whose dependencies are all done become ready. */
export function promote(draft: MissionDraft): string[] {
  const promoted: string[] = [];
  for (const item of draft.orderedItems()) {
    if (item.status !== 'pending') continue;
    const ready = item.depends_on.every((dep) => draft.items.get(dep)?.status === 'done');
    if (!ready) continue;
    draft.setItem(item.id, { status: 'ready' });
    draft.log(`Work item '${item.title}' promoted to ready`);
    promoted.push(item.id);
  }
  if (promoted.length > 0) draft.progress = true;
  return promoted;
}

/**
 * Ready items go to the best idle agents, lowest `seq` first, within `max_parallel_items` (items assigned
 * or running count against it). An item nobody scores above 0 for waits.
 */
export function assignReady(draft: MissionDraft, pool: AgentPool): [string, string][] {
  const assigned: [string, string][] = [];
  const items = draft.orderedItems();
  let slots =
    draft.mission.policy.max_parallel_items -
    items.filter((item) => item.status === 'assigned' || item.status === 'running').length;
  for (const item of items) {
    if (slots <= 0) break;
    if (item.status !== 'ready') continue;
    const choice = chooseAgent(item, pool.candidates());
    if (!choice) continue;
    const agentId = choice.agent.id;
    const assignedItem = draft.setItem(item.id, {
      status: 'assigned',
      assigned_to: agentId,
      reviewer_approved: false,
    });
    const taskId = draft.createTask(assignedItem, 'work', workTaskDescription(draft, assignedItem), agentId);
    pool.give(agentId);
    draft.log(`Assigned '${item.title}' to agent '${choice.agent.name}' as task ${taskId}`);
    assigned.push([item.id, agentId]);
    slots -= 1;
  }
  if (assigned.length > 0) draft.progress = true;
  return assigned;
}
