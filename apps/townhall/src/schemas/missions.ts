import {
  MissionNote,
  MissionPolicy,
  MissionRun,
  MissionState,
  MissionSummary,
  ObjectiveRef,
  TriggerAction,
  WatchItem,
  WatchKind,
  WatchStatus,
  WorkItem,
  WorkKind,
  WorkStatus,
} from '@tinytown/core';
import { EVENTS_LIMIT_MAX, WATCH_SNOOZE_MAX_SECS, WATCH_SNOOZE_MIN_SECS } from '@tinytown/mission';
import { z } from 'zod';
import { Id, queryFlag, Text } from './common.js';

// The mission records are core's own schemas (what the store keeps is what the API shows), named here
// so the document has one component per shape, under the contract's names.
MissionState.register(z.globalRegistry, {
  id: 'MissionState',
  description:
    'planning: compiling the work graph; running: active; blocked: stopped or waiting on an operator; completed; failed',
});
WorkKind.register(z.globalRegistry, { id: 'WorkKind', description: 'Type of work item' });
WorkStatus.register(z.globalRegistry, {
  id: 'WorkStatus',
  description:
    'pending: dependencies not done; ready: can be assigned; assigned: agent chosen; running; blocked: waiting on a fix, a review or the PR watches; done',
});
WatchKind.register(z.globalRegistry, { id: 'WatchKind', description: 'What a watch monitors on a PR' });
WatchStatus.register(z.globalRegistry, { id: 'WatchStatus' });
TriggerAction.register(z.globalRegistry, {
  id: 'TriggerAction',
  description: 'Action to take when the watch triggers',
});
ObjectiveRef.register(z.globalRegistry, {
  id: 'ObjectiveRef',
  description: 'A GitHub issue (`owner`, `repo`, `number`) or a Markdown document inside the town directory',
});
MissionPolicy.register(z.globalRegistry, {
  id: 'MissionPolicy',
  description: 'Execution policy of a mission',
});
MissionSummary.register(z.globalRegistry, { id: 'MissionSummary', description: 'A mission in list views' });
MissionRun.register(z.globalRegistry, { id: 'MissionRun', description: 'The full mission record' });
WorkItem.register(z.globalRegistry, { id: 'WorkItem', description: 'One unit of work in the mission graph' });
WatchItem.register(z.globalRegistry, { id: 'WatchItem', description: 'A pull-request monitor' });
MissionNote.register(z.globalRegistry, {
  id: 'MissionNote',
  description: 'An operator note to the dispatcher',
});

export { MissionNote, MissionRun, MissionSummary, WatchItem, WorkItem };

export const MissionIdParams = z.object({ mission_id: Id.describe('Mission UUID') });
export const WorkItemParams = z.object({
  mission_id: Id.describe('Mission UUID'),
  work_item_id: Id.describe('Work item UUID'),
});
export const WatchParams = z.object({
  mission_id: Id.describe('Mission UUID'),
  watch_id: Id.describe('Watch UUID'),
});

export const ListMissionsQuery = z.object({
  active_only: queryFlag(true, 'Only active missions (planning, running, blocked)'),
});

export const MissionList = z
  .object({ missions: z.array(MissionSummary), count: z.number().int() })
  .meta({ id: 'MissionList' });

/** The policy as a request gives it: every field optional, defaults filled in by the engine. */
const PolicyRequest = z
  .object({
    max_parallel_items: z.number().int().min(1).max(1000).optional().describe('Default 2'),
    reviewer_required: z
      .boolean()
      .optional()
      .describe('Default true: implement and test items need an approving review'),
    auto_merge: z
      .boolean()
      .optional()
      .describe('Default false: merge a PR once approved, green and mergeable'),
    watch_interval_secs: z.number().int().min(1).max(86_400).optional().describe('Default 180'),
  })
  .describe('Execution policy; omitted fields take their defaults');

export const StartMissionRequest = z
  .object({
    objectives: z
      .array(ObjectiveRef)
      .min(1)
      .max(200)
      .describe('GitHub issues and/or docs (paths inside the town directory) to work through'),
    policy: PolicyRequest.optional(),
  })
  .meta({ id: 'StartMissionRequest' });

export const StartMissionResponse = z
  .object({
    mission_id: z.string(),
    state: MissionState,
    objective_count: z.number().int(),
    work_item_count: z.number().int(),
    work_items: z.array(WorkItem).describe('The compiled work graph, in assignment order'),
  })
  .meta({ id: 'StartMissionResponse' });

export const MissionStatusQuery = z.object({
  include_work: queryFlag(false, 'Include the work items'),
  include_watches: queryFlag(false, 'Include the watches'),
  include_events: queryFlag(false, 'Include the 20 newest activity lines'),
});

export const FailedWorkItem = z
  .object({
    work_item_id: z.string(),
    title: z.string(),
    task_id: z.string().describe('The item’s newest task, which ended without doing the work'),
    task_kind: z.enum(['work', 'fix']),
    task_state: z.enum(['failed', 'cancelled']),
    result: z
      .string()
      .nullable()
      .describe('Why, as its agent (or whoever cancelled it) said; null when nobody said'),
    reason: z.string().describe('The above in words, for people'),
    help_requested: z
      .boolean()
      .describe('The conductor has been asked about this item and the request stands'),
  })
  .meta({
    id: 'FailedWorkItem',
    description:
      'A blocked work item whose task failed or was cancelled. Nothing in the mission moves it on: hand it out again with a note (`redirect <item> to <agent>`) or PATCH its status.',
  });

export const MissionStatus = z
  .object({
    mission: MissionRun,
    work_items: z.array(WorkItem).optional().describe('With include_work=true'),
    watches: z.array(WatchItem).optional().describe('With include_watches=true'),
    events: z.array(z.string()).optional().describe('With include_events=true: newest first'),
    summary: z.object({
      total_work_items: z.number().int(),
      pending: z.number().int(),
      ready: z.number().int(),
      assigned: z.number().int(),
      running: z.number().int(),
      done: z.number().int(),
      blocked: z.number().int(),
      active_watches: z.number().int().describe('Watches not done'),
    }),
    failed_items: z
      .array(FailedWorkItem)
      .describe('Blocked items that wait for a person because their task failed or was cancelled'),
  })
  .meta({ id: 'MissionStatus' });

export const MissionActionResponse = z
  .object({
    mission_id: z.string(),
    status: z
      .string()
      .describe('What happened: stopped, stopped (forced), already stopped, resumed, completed, failed…'),
    previous_state: MissionState,
    new_state: MissionState,
  })
  .meta({ id: 'MissionActionResponse' });

export const StopMissionRequest = z
  .object({
    force: z
      .boolean()
      .default(false)
      .describe('false: pause (state blocked, resumable); true: fail the mission and cancel its open tasks'),
  })
  .meta({ id: 'StopMissionRequest' });

export const FailMissionRequest = z
  .object({ reason: z.string().max(10_000).optional().describe('Why; defaults to "Marked failed by user"') })
  .meta({ id: 'FailMissionRequest' });

export const DeleteMissionQuery = z.object({
  force: queryFlag(false, 'Delete even an active mission'),
});

export const DeleteMissionResponse = z
  .object({ mission_id: z.string(), deleted: z.literal(true) })
  .meta({ id: 'DeleteMissionResponse' });

export const WorkListQuery = z.object({
  status: WorkStatus.optional().describe('Only work items in this status'),
});

export const WorkItemList = z
  .object({ mission_id: z.string(), work_items: z.array(WorkItem), count: z.number().int() })
  .meta({ id: 'WorkItemList' });

export const UpdateWorkItemRequest = z
  .object({
    status: WorkStatus.optional().describe(
      '`done` goes through the submission protocol (PR artifacts start watches; the reviewer gate asks for a review). `assigned` is refused: redirect with a note.',
    ),
    artifacts: z
      .array(Text('artifact', 2_000))
      .max(100)
      .optional()
      .describe('Artifact references to add (PR URLs, commits)'),
  })
  .meta({ id: 'UpdateWorkItemRequest' });

export const WatchListQuery = z.object({
  status: WatchStatus.optional().describe('Only watches in this status'),
});

export const WatchItemList = z
  .object({ mission_id: z.string(), watches: z.array(WatchItem), count: z.number().int() })
  .meta({ id: 'WatchItemList' });

export const SnoozeWatchRequest = z
  .object({
    duration_secs: z
      .number()
      .int()
      .min(WATCH_SNOOZE_MIN_SECS)
      .max(WATCH_SNOOZE_MAX_SECS)
      .describe(`Seconds until the next check (${WATCH_SNOOZE_MIN_SECS} to ${WATCH_SNOOZE_MAX_SECS})`),
  })
  .meta({ id: 'SnoozeWatchRequest' });

export const MissionEventsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(EVENTS_LIMIT_MAX)
    .default(20)
    .describe(`Newest N lines (1-${EVENTS_LIMIT_MAX})`),
});

export const MissionEventList = z
  .object({
    mission_id: z.string(),
    events: z.array(z.string()).describe('Timestamped activity lines, newest first'),
    count: z.number().int(),
  })
  .meta({ id: 'MissionEventList' });

export const AddNoteRequest = z
  .object({
    body: Text('body', 10_000).describe(
      '`resume…`, `pause…`, `redirect <work item> to <agent> [reason]`, or free text for the log',
    ),
    sender: z.string().max(100).optional().describe('Who wrote it; defaults to "conductor"'),
  })
  .meta({ id: 'AddNoteRequest' });

export const NoteList = z
  .object({ mission_id: z.string(), notes: z.array(MissionNote), count: z.number().int() })
  .meta({ id: 'MissionNoteList' });
