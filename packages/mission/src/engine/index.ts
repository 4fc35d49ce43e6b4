export { type MissionBenchSeed, missionBenchPass, seedMissionBench } from './bench.js';
export type { FailedWorkItem } from './blocked.js';
export { Dispatcher, type DispatcherOptions, type DispatcherPassResult } from './dispatcher.js';
export { AgentPool, type HeldTask, MissionDraft, type PoolAgent } from './draft.js';
export { isTerminalMission } from './lifecycle.js';
export { type NoteDirective, parseNote, processNotes } from './notes.js';
export {
  recordSubmission,
  requiresReview,
  type SubmissionOutcome,
  workTaskDescription,
} from './protocol.js';
export {
  EVENTS_LIMIT_MAX,
  type FailedWorkItemStatus,
  type MissionActionResult,
  MissionService,
  type MissionServiceOptions,
  type MissionStatusView,
  type StartMissionInput,
  type UpdateWorkItemInput,
  type UpdateWorkItemResult,
} from './service.js';
export {
  DEFAULT_HELP_POLICY,
  DEFAULT_POLL_MS,
  type HelpPolicy,
  loadAgentPool,
  loadDraft,
  type MissionTickResult,
  type TickOptions,
  tickMission,
} from './tick.js';
export {
  checkDueWatches,
  type WatchCheck,
  type WatchCheckResult,
  type WatchEngineOptions,
} from './watch-engine.js';
