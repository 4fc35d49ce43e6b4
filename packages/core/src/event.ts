import { z } from 'zod';

export const EVENT_TYPES = [
  'agent_spawned',
  'agent_state_changed',
  'agent_stopped',
  'agent_interrupted',
  'agent_resumed',
  'agent_recovered',
  'agent_removed',
  'task_created',
  'task_assigned',
  'task_started',
  'task_completed',
  'task_failed',
  'task_cancelled',
  'task_requeued',
  'task_deleted',
  'mission_state_changed',
  'mission_work_promoted',
  'mission_work_assigned',
  'mission_work_completed',
  'mission_work_blocked',
  'mission_help_needed',
  'mission_watch_triggered',
  'mission_event',
  'reviewer_handoff',
  'reviewer_approval',
  'conductor_escalation',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const TownEvent = z.object({
  /** Stream entry id (`<ms>-<seq>`), assigned by Redis. */
  id: z.string(),
  event_type: EventType,
  agent_id: z.string().optional(),
  task_id: z.string().optional(),
  mission_id: z.string().optional(),
  old_state: z.string().optional(),
  new_state: z.string().optional(),
  message: z.string(),
  timestamp: z.string(),
});
export type TownEvent = z.infer<typeof TownEvent>;
