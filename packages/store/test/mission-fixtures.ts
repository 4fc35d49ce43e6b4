import { DEFAULT_MISSION_POLICY, MissionRun, newId, type WatchItem, type WorkItem } from '@tinytown/core';

/** Mission records as the engine would write them, for the store's own tests (the engine is above it). */

const now = () => new Date().toISOString();

export function mission(overrides: Partial<MissionRun> = {}): MissionRun {
  return {
    ...MissionRun.parse({
      id: newId(),
      objective_refs: [{ type: 'doc', path: 'docs/a.md' }],
      state: 'running',
      policy: DEFAULT_MISSION_POLICY,
      created_at: now(),
      updated_at: now(),
      next_wake_at: null,
      blocked_reason: null,
    }),
    ...overrides,
  };
}

export function item(missionId: string, seq: number, overrides: Partial<WorkItem> = {}): WorkItem {
  return {
    id: newId(),
    mission_id: missionId,
    title: `item ${seq}`,
    kind: 'implement',
    depends_on: [],
    owner_role: null,
    status: 'pending',
    assigned_to: null,
    artifact_refs: [],
    reviewer_approved: false,
    source_ref: null,
    created_at: now(),
    updated_at: now(),
    seq,
    task_ids: [],
    ...overrides,
  };
}

export function watch(missionId: string, workItemId: string, overrides: Partial<WatchItem> = {}): WatchItem {
  return {
    id: newId(),
    mission_id: missionId,
    work_item_id: workItemId,
    kind: 'pr_checks',
    target_ref: 'o/r#1',
    interval_secs: 180,
    next_due_at: now(),
    status: 'active',
    on_trigger: 'create_fix_task',
    last_check_at: null,
    consecutive_failures: 0,
    seen: { checks: [], comments: [], acted_at_sha: null },
    last_error: null,
    merge_attempted_sha: null,
    ...overrides,
  };
}
