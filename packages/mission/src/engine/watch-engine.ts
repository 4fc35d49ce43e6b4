import type { WatchItem, WorkItem } from '@tinytown/core';
import type { Forge } from '../forge/forge.js';
import { parsePrRef } from '../forge/pr-ref.js';
import { requireForge } from '../forge/require-forge.js';
import { type EvaluateOptions, evaluateWatch, type PrSnapshot } from '../watches/evaluate.js';
import {
  addSeconds,
  failureBackoffSecs,
  shouldEscalate,
  WATCH_TRIGGER_SNOOZE_SECS,
} from '../watches/schedule.js';
import { fetchPrSnapshot, sharedReads } from '../watches/snapshot.js';
import type { AgentPool, MissionDraft } from './draft.js';
import { createFixTask, requiresReview } from './protocol.js';

export type WatchCheckResult = 'ok' | 'triggered' | 'resolved' | 'error' | 'merged';

export interface WatchCheck {
  watchId: string;
  kind: WatchItem['kind'];
  result: WatchCheckResult;
  error?: string;
}

export interface WatchEngineOptions extends EvaluateOptions {
  /** Checks run this many at a time within one mission. */
  concurrency?: number;
}

const MERGEABLE_STATES = new Set(['clean', 'has_hooks', 'unstable']);

function isDue(watch: WatchItem, nowMs: number): boolean {
  return watch.status !== 'done' && Date.parse(watch.next_due_at) <= nowMs;
}

/** Whether an auto-merge may go ahead: approved (or no gate), green, mergeable, the item's other watches done. */
function mayMerge(
  draft: MissionDraft,
  item: WorkItem,
  watch: WatchItem,
  snapshot: PrSnapshot,
  ci: string,
): boolean {
  const { pull } = snapshot;
  if (pull.state !== 'open' || pull.draft) return false;
  if (requiresReview(draft, item) && !item.reviewer_approved) return false;
  if (draft.liveTasks(item.id).some((task) => task.kind !== 'review')) return false;
  if (!(ci === 'success' || (ci === 'none' && pull.mergeable_state === 'clean'))) return false;
  if (pull.mergeable !== true || !MERGEABLE_STATES.has(pull.mergeable_state)) return false;
  if (watch.merge_attempted_sha === pull.head_sha) return false;
  const others = [...draft.watches.values()].filter(
    (other) =>
      other.work_item_id === item.id && other.id !== watch.id && other.target_ref === watch.target_ref,
  );
  return others.every((other) => other.status === 'done');
}

async function checkOne(
  draft: MissionDraft,
  pool: AgentPool,
  source: Forge | null | undefined,
  watch: WatchItem,
  options: WatchEngineOptions,
): Promise<WatchCheck> {
  const item = draft.items.get(watch.work_item_id);
  const ref = parsePrRef(watch.target_ref);
  if (!ref || !item) {
    // Nothing will ever make it valid: retire it rather than retry it every tick forever.
    draft.setWatch({ ...watch, status: 'done', last_error: ref ? 'work item gone' : 'invalid PR reference' });
    draft.scheduleWatch(watch.id, null);
    draft.log(
      `Watch ${watch.id} retired: ${ref ? 'its work item is gone' : `invalid PR reference '${watch.target_ref}'`}`,
    );
    return { watchId: watch.id, kind: watch.kind, result: 'error', error: 'invalid' };
  }

  let forge: Forge;
  let snapshot: PrSnapshot;
  try {
    // Without a forge the check fails like one that cannot reach it: it backs off and, left so, escalates
    // to the conductor, instead of the watch waiting unseen while the mission is ticked on every pass.
    forge = requireForge(source, `checking watch ${watch.kind} on ${watch.target_ref}`);
    snapshot = await fetchPrSnapshot(forge, ref, watch.kind);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failures = watch.consecutive_failures + 1;
    const next = addSeconds(draft.now, failureBackoffSecs(failures));
    draft.setWatch({
      ...watch,
      status: 'active',
      last_check_at: draft.nowIso,
      consecutive_failures: failures,
      next_due_at: next,
      last_error: message,
    });
    draft.scheduleWatch(watch.id, Date.parse(next));
    if (shouldEscalate(failures)) {
      if (item.status !== 'done') draft.setItem(item.id, { status: 'blocked' });
      // The conductor is asked by the help check, which finds every watch failing so (help.ts).
      draft.log(`Watch ${watch.kind} on ${watch.target_ref} failed ${failures} times in a row: ${message}`);
    }
    return { watchId: watch.id, kind: watch.kind, result: 'error', error: message };
  }

  const evaluation = evaluateWatch(watch.kind, snapshot, watch.seen, options);
  let next: WatchItem = {
    ...watch,
    seen: evaluation.nextSeen,
    last_check_at: draft.nowIso,
    consecutive_failures: 0,
    last_error: null,
  };
  let result: WatchCheckResult = 'ok';

  if (evaluation.findings.length > 0) {
    const summary = evaluation.findings.map((finding) => finding.summary).join('; ');
    draft.log(`Watch ${watch.kind} on ${watch.target_ref} found: ${summary}`);
    if (watch.on_trigger === 'notify_reviewer') {
      draft.conductorQuestions.push(
        `[Mission Notification] Mission ${draft.mission.id}: watch ${watch.kind} on ${watch.target_ref} found: ${summary}`,
      );
    } else {
      const lines = evaluation.findings.map(
        (finding) => `- ${finding.summary}${finding.url ? ` (${finding.url})` : ''}`,
      );
      createFixTask(draft, pool, item, `${watch.kind} on ${watch.target_ref}:\n${lines.join('\n')}`, {
        heading: '[Mission Fix Required]',
        extraTags: [`watch:${watch.id}`],
      });
    }
    const due = addSeconds(draft.now, WATCH_TRIGGER_SNOOZE_SECS);
    next = { ...next, status: 'snoozed', next_due_at: due };
    draft.scheduleWatch(watch.id, Date.parse(due));
    result = 'triggered';
  } else if (
    watch.kind === 'mergeability' &&
    draft.mission.policy.auto_merge &&
    snapshot.pull.state !== 'merged' &&
    mayMerge(draft, item, watch, snapshot, evaluation.ci)
  ) {
    next = { ...next, merge_attempted_sha: snapshot.pull.head_sha };
    try {
      const merge = await forge.mergePullRequest(ref, { sha: snapshot.pull.head_sha });
      if (merge.merged) {
        next = { ...next, status: 'done' };
        draft.scheduleWatch(watch.id, null);
        draft.log(`Merged ${watch.target_ref} at ${snapshot.pull.head_sha} (auto_merge)`);
        result = 'merged';
      } else {
        draft.log(`Auto-merge of ${watch.target_ref} refused: ${merge.message}`);
      }
    } catch (error) {
      draft.log(
        `Auto-merge of ${watch.target_ref} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (result !== 'merged') {
      const due = addSeconds(draft.now, watch.interval_secs);
      next = { ...next, status: 'active', next_due_at: due };
      draft.scheduleWatch(watch.id, Date.parse(due));
    }
  } else if (
    evaluation.resolved &&
    // With auto_merge the mergeability watch waits for the merge itself.
    !(watch.kind === 'mergeability' && draft.mission.policy.auto_merge && snapshot.pull.state !== 'merged')
  ) {
    next = { ...next, status: 'done' };
    draft.scheduleWatch(watch.id, null);
    draft.log(`Watch ${watch.kind} on ${watch.target_ref} is satisfied`);
    result = 'resolved';
  } else {
    const due = addSeconds(draft.now, watch.interval_secs);
    next = { ...next, status: 'active', next_due_at: due };
    draft.scheduleWatch(watch.id, Date.parse(due));
  }
  draft.setWatch(next);
  if (result !== 'ok') draft.progress = true;
  return { watchId: watch.id, kind: watch.kind, result };
}

/**
 * Checks every due watch of the mission against the forge: findings make one fix task per poll that has
 * new ones (what was seen is remembered), failures back off, the fifth failure in a row escalates once.
 * Without a forge every due check fails with CONFIG_INVALID's message.
 */
export async function checkDueWatches(
  draft: MissionDraft,
  pool: AgentPool,
  forge: Forge | null | undefined,
  options: WatchEngineOptions = {},
): Promise<WatchCheck[]> {
  const due = [...draft.watches.values()]
    .filter((watch) => isDue(watch, draft.nowMs))
    .sort((a, b) => a.next_due_at.localeCompare(b.next_due_at) || a.id.localeCompare(b.id));
  const results: WatchCheck[] = [];
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const reads = forge ? sharedReads(forge) : forge;
  // Checks and comments first, in parallel; mergeability after them, since an auto-merge waits for the
  // PR's other watches. The draft is only changed synchronously between awaits.
  const first = due.filter((watch) => watch.kind !== 'mergeability');
  let next = 0;
  const worker = async () => {
    while (next < first.length) {
      const watch = first[next++];
      if (!watch) continue;
      results.push(await checkOne(draft, pool, reads, draft.watches.get(watch.id) ?? watch, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, first.length) }, worker));
  for (const watch of due.filter((candidate) => candidate.kind === 'mergeability')) {
    results.push(await checkOne(draft, pool, reads, draft.watches.get(watch.id) ?? watch, options));
  }
  return results;
}
