import { z } from 'zod';

export const MissionState = z.enum(['planning', 'running', 'blocked', 'completed', 'failed']);
export type MissionState = z.infer<typeof MissionState>;
export const TERMINAL_MISSION_STATES: readonly MissionState[] = ['completed', 'failed'];

/** The contract spells the gate `merge_gate`; the original stored `mergegate`, which is read as the same. */
export const WorkKind = z.preprocess(
  (value) => (value === 'mergegate' ? 'merge_gate' : value),
  z.enum(['design', 'implement', 'test', 'review', 'merge_gate', 'followup']),
);
export type WorkKind = z.infer<typeof WorkKind>;

export const WorkStatus = z.enum(['pending', 'ready', 'assigned', 'running', 'blocked', 'done']);
export type WorkStatus = z.infer<typeof WorkStatus>;

export const WatchKind = z.enum(['pr_checks', 'bugbot_comments', 'review_comments', 'mergeability']);
export type WatchKind = z.infer<typeof WatchKind>;

export const WatchStatus = z.enum(['active', 'snoozed', 'done']);
export type WatchStatus = z.infer<typeof WatchStatus>;

export const TriggerAction = z.enum(['create_fix_task', 'notify_reviewer', 'advance_pipeline']);
export type TriggerAction = z.infer<typeof TriggerAction>;

export const IssueObjective = z.object({
  type: z.literal('issue'),
  owner: z.string().min(1),
  repo: z.string().min(1),
  number: z.number().int().positive(),
});
export const DocObjective = z.object({ type: z.literal('doc'), path: z.string().min(1) });
export const ObjectiveRef = z.discriminatedUnion('type', [IssueObjective, DocObjective]);
export type ObjectiveRef = z.infer<typeof ObjectiveRef>;

export function objectiveLabel(ref: ObjectiveRef): string {
  return ref.type === 'issue' ? `${ref.owner}/${ref.repo}#${ref.number}` : ref.path;
}

export const MissionPolicy = z.object({
  max_parallel_items: z.number().int().min(1).default(2),
  reviewer_required: z.boolean().default(true),
  auto_merge: z.boolean().default(false),
  watch_interval_secs: z.number().int().min(1).default(180),
});
export type MissionPolicy = z.infer<typeof MissionPolicy>;
export const DEFAULT_MISSION_POLICY: MissionPolicy = MissionPolicy.parse({});

export const MissionRun = z.object({
  id: z.uuid(),
  objective_refs: z.array(ObjectiveRef),
  state: MissionState,
  policy: MissionPolicy,
  created_at: z.string(),
  updated_at: z.string(),
  next_wake_at: z.string().nullable(),
  blocked_reason: z.string().nullable(),
  dispatcher_last_tick_at: z.string().nullable().default(null),
  dispatcher_last_progress_at: z.string().nullable().default(null),
  dispatcher_last_help_request_at: z.string().nullable().default(null),
  dispatcher_last_help_request_reason: z.string().nullable().default(null),
  dispatcher_help_request_attempts: z.number().int().nonnegative().default(0),
});
export type MissionRun = z.infer<typeof MissionRun>;

export const WorkItem = z.object({
  id: z.uuid(),
  mission_id: z.uuid(),
  title: z.string(),
  kind: WorkKind,
  depends_on: z.array(z.uuid()),
  owner_role: z.string().nullable(),
  status: WorkStatus,
  assigned_to: z.uuid().nullable(),
  artifact_refs: z.array(z.string()),
  reviewer_approved: z.boolean().default(false),
  source_ref: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type WorkItem = z.infer<typeof WorkItem>;

export const WatchItem = z.object({
  id: z.uuid(),
  mission_id: z.uuid(),
  work_item_id: z.uuid(),
  kind: WatchKind,
  target_ref: z.string(),
  interval_secs: z.number().int().positive(),
  next_due_at: z.string(),
  status: WatchStatus,
  on_trigger: TriggerAction,
  last_check_at: z.string().nullable(),
  consecutive_failures: z.number().int().nonnegative(),
});
export type WatchItem = z.infer<typeof WatchItem>;
