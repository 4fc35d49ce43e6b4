import { missionTaskBinding, type Task, type WorkItem } from '@tinytown/core';

/**
 * A blocked work item whose newest task is a work or fix task that failed or was cancelled. Nothing in the
 * mission will move it on (handing it straight back would fail again): it waits for a person.
 */
export interface FailedWorkItem {
  work_item_id: string;
  title: string;
  task_id: string;
  task_kind: 'work' | 'fix';
  task_state: 'failed' | 'cancelled';
  /** Why, as its agent or whoever cancelled it said; null when nobody said. */
  result: string | null;
  /** The above in words: `its work task 1a2b3c4d failed: <why>`. */
  reason: string;
}

/** The task whose end says why a blocked item waits: its newest. */
export function newestTaskId(item: WorkItem): string | undefined {
  return item.status === 'blocked' ? item.task_ids[item.task_ids.length - 1] : undefined;
}

/** `newest` is the item's newest task (see {@link newestTaskId}); null unless it ended without a result. */
function failedWorkItem(item: WorkItem, newest: Task | undefined): FailedWorkItem | null {
  if (!newest || newest.id !== newestTaskId(item)) return null;
  if (newest.state !== 'failed' && newest.state !== 'cancelled') return null;
  const binding = missionTaskBinding(newest.tags);
  // A review that ended is the reviewer gate's business: it asks again by itself.
  if (!binding || binding.workItemId !== item.id || binding.kind === 'review') return null;
  // The store records a bare 'Failed' or 'Cancelled' when no reason was given: that says nothing more.
  const said = newest.result?.trim();
  const result = said && said.toLowerCase() !== newest.state ? said : null;
  const ended = newest.state === 'failed' ? 'failed' : 'was cancelled';
  return {
    work_item_id: item.id,
    title: item.title,
    task_id: newest.id,
    task_kind: binding.kind,
    task_state: newest.state,
    result,
    reason: `its ${binding.kind} task ${newest.id.slice(0, 8)} ${ended}: ${result ?? 'no reason given'}`,
  };
}

/** The items of `items` that wait for a person, in that order; `task` looks up (at least) their newest tasks. */
export function failedWorkItems(
  items: readonly WorkItem[],
  task: (id: string) => Task | undefined,
): FailedWorkItem[] {
  return items.flatMap((item) => {
    const id = newestTaskId(item);
    const failed = id === undefined ? null : failedWorkItem(item, task(id));
    return failed ? [failed] : [];
  });
}

/** The mission's soft-blocked reason while such items wait: short, the details are in each item's reason. */
export function waitingOnOperator(failed: readonly FailedWorkItem[]): string | null {
  const [first] = failed;
  if (!first) return null;
  if (failed.length > 1) {
    return `Waiting on an operator: the tasks of ${failed.length} work items failed or were cancelled`;
  }
  const ended = first.task_state === 'failed' ? 'failed' : 'was cancelled';
  return `Waiting on an operator: the ${first.task_kind} task of '${first.title}' ${ended}`;
}
