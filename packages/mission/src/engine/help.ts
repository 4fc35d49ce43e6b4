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

/**
 * The help request about an item whose task failed or was cancelled, with the commands that settle it.
 * Derived from the item's state, not from the tick that saw the task end, so that a second item failing
 * in the same tick is asked about once the first is settled, and a request repeats unchanged.
 */
export function failedItemHelpReason(missionId: string, failed: FailedWorkItem): string {
  const ref = `${missionId.slice(0, 8)} ${failed.work_item_id.slice(0, 8)}`;
  const ended = failed.task_state === 'failed' ? 'failed' : 'was cancelled';
  return itemHelpReason(
    missionId,
    failed.work_item_id,
    `${failed.task_kind} task ${failed.task_id} for '${failed.title}' ${ended}: ${failed.result ?? 'no reason given'}; hand it out again ('tt mission item ${ref} --status ready'), give it to an agent (note 'redirect ${failed.work_item_id.slice(0, 8)} to <agent>') or skip it ('tt mission item ${ref} --status done')`,
  );
}
