import { WATCH_ESCALATION_THRESHOLD } from '../watches/schedule.js';
import type { FailedWorkItem } from './blocked.js';
import type { MissionDraft } from './draft.js';
import { clearHelpState } from './lifecycle.js';

/**
 * The help request about one work item. It names the item in a fixed place at its start, because the
 * mission keeps only the text of its standing request (`dispatcher_last_help_request_reason`), and a later
 * tick must tell which item that request was about to withdraw it once the item moves on.
 */
export function itemHelpReason(missionId: string, itemId: string, problem: string): string {
  return `Mission ${missionId} (work item ${itemId}): ${problem}`;
}

const ITEM_HELP = /^Mission [0-9a-f-]{36} \(work item ([0-9a-f-]{36})\): /;

/** The work item a help request from {@link itemHelpReason} is about; null for one about the whole mission. */
export function helpSubject(reason: string | null): string | null {
  return (reason && ITEM_HELP.exec(reason)?.[1]) || null;
}

/**
 * Withdraws the standing help request about a work item once the item no longer waits for it: it waits
 * while blocked, or ready for an agent it has not got; handed out, done or put back to pending, it does not.
 */
export function withdrawAnsweredHelp(draft: MissionDraft): void {
  const itemId = helpSubject(draft.mission.dispatcher_last_help_request_reason);
  if (itemId === null) return;
  const item = draft.items.get(itemId);
  if (item?.status === 'blocked' || item?.status === 'ready') return;
  clearHelpState(draft);
  draft.log(
    `Withdrew the help request about '${item?.title ?? itemId}': it is ${item?.status ?? 'gone'} now`,
  );
}

/** The help request about an item whose task failed or was cancelled, with the commands that settle it. */
function failedItemHelpReason(missionId: string, failed: FailedWorkItem): string {
  const ref = `${missionId.slice(0, 8)} ${failed.work_item_id.slice(0, 8)}`;
  const ended = failed.task_state === 'failed' ? 'failed' : 'was cancelled';
  return itemHelpReason(
    missionId,
    failed.work_item_id,
    `${failed.task_kind} task ${failed.task_id} for '${failed.title}' ${ended}: ${failed.result ?? 'no reason given'}; hand it out again ('tt mission item ${ref} --status ready'), give it to an agent (note 'redirect ${failed.work_item_id.slice(0, 8)} to <agent>') or skip it ('tt mission item ${ref} --status done')`,
  );
}

/**
 * The help requests the items of a mission call for, in item order: one for each item whose task failed,
 * and one for each blocked item whose watch keeps failing. Derived from state, not from the pass that saw
 * the failure, so that none is forgotten when another is asked about first, and a request repeats
 * unchanged (its text names no changing detail).
 */
export function itemHelpRequests(draft: MissionDraft): { itemId: string; reason: string }[] {
  const missionId = draft.mission.id;
  const requests = draft.failedItems().map((failed) => ({
    itemId: failed.work_item_id,
    reason: failedItemHelpReason(missionId, failed),
  }));
  for (const watch of draft.watches.values()) {
    const item = draft.items.get(watch.work_item_id);
    if (watch.status === 'done' || watch.consecutive_failures < WATCH_ESCALATION_THRESHOLD) continue;
    if (item?.status !== 'blocked' || requests.some((request) => request.itemId === item.id)) continue;
    requests.push({
      itemId: item.id,
      reason: itemHelpReason(
        missionId,
        item.id,
        `checks of ${watch.target_ref} keep failing; 'tt mission status ${missionId.slice(0, 8)} --watches' shows each watch's last error`,
      ),
    });
  }
  return requests;
}
