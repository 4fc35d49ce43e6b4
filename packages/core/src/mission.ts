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
/** A policy as a caller gives it: every field may be left to its default. */
export type MissionPolicyInput = z.input<typeof MissionPolicy>;
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
  /** Position in the compiled (topological) order: ready items are assigned lowest first. */
  seq: z.number().int().nonnegative().default(0),
  /** Every task the mission created for this item (work, review, fix), oldest first. */
  task_ids: z.array(z.uuid()).default([]),
});
export type WorkItem = z.infer<typeof WorkItem>;

/** What a watch has already acted on, so one failing check or one comment yields one fix task. */
export const WatchSeen = z.object({
  /** `run:<id>:<conclusion>` and `status:<context>@<sha>:<state>`. */
  checks: z.array(z.string()).default([]),
  /** Comment, review and one-off finding keys (`conflict:<sha>`, `closed:<n>`). */
  comments: z.array(z.string()).default([]),
  /** Head commit when findings were last reported. */
  acted_at_sha: z.string().nullable().default(null),
});
export type WatchSeen = z.infer<typeof WatchSeen>;

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
  /** Findings already acted on (kept with the watch between polls). */
  seen: WatchSeen.default({ checks: [], comments: [], acted_at_sha: null }),
  /** Last check error, cleared by a successful check. */
  last_error: z.string().nullable().default(null),
  /** Head commit an auto-merge was attempted for: a PR is merged at most once per head. */
  merge_attempted_sha: z.string().nullable().default(null),
});
export type WatchItem = z.infer<typeof WatchItem>;

/** An operator's note to the dispatcher (`resume…`, `pause…`, `redirect <item> to <agent>`, or plain text). */
export const MissionNote = z.object({
  id: z.uuid(),
  mission_id: z.uuid(),
  sender: z.string(),
  body: z.string(),
  created_at: z.string(),
  processed_at: z.string().nullable().default(null),
});
export type MissionNote = z.infer<typeof MissionNote>;

/** Tags linking ordinary tasks to missions. A task belongs to a work item iff it carries both id tags. */
export const MISSION_TASK_TAGS = {
  work: 'mission-work-item',
  review: 'mission-review-task',
  fix: 'mission-fix-task',
  mission: (id: string) => `mission:${id}`,
  workItem: (id: string) => `work-item:${id}`,
  watch: (id: string) => `watch:${id}`,
  kind: (kind: 'work' | 'review' | 'fix') => `mission-task:${kind}`,
} as const;

export type MissionTaskKind = 'work' | 'review' | 'fix';

/** Which mission, item and kind a task's tags bind it to; `null` for a task of no mission. */
export function missionTaskBinding(
  tags: readonly string[],
): { missionId: string; workItemId: string; kind: MissionTaskKind; watchId: string | null } | null {
  const missionId = tags.find((tag) => tag.startsWith('mission:'))?.slice('mission:'.length);
  const workItemId = tags.find((tag) => tag.startsWith('work-item:'))?.slice('work-item:'.length);
  if (!missionId || !workItemId) return null;
  const kind: MissionTaskKind = tags.includes(MISSION_TASK_TAGS.review)
    ? 'review'
    : tags.includes(MISSION_TASK_TAGS.fix)
      ? 'fix'
      : 'work';
  const watchId = tags.find((tag) => tag.startsWith('watch:'))?.slice('watch:'.length) ?? null;
  return { missionId, workItemId, kind, watchId };
}

/** Mission record plus summary counts, as list views show it. */
export const MissionSummary = z.object({
  id: z.uuid(),
  state: MissionState,
  objective_count: z.number().int().nonnegative(),
  work_item_count: z.number().int().nonnegative(),
  completed_count: z.number().int().nonnegative(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type MissionSummary = z.infer<typeof MissionSummary>;
