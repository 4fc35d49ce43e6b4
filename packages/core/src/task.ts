import { z } from 'zod';
import { assertTransition, type Transitions } from './state-machine.js';

export const TASK_STATES = ['pending', 'assigned', 'running', 'completed', 'failed', 'cancelled'] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

/**
 * Terminal states have no way out: completing a completed task is refused rather than overwriting its
 * result (the original let any transition through). A pending task is on the backlog, held by nobody: it
 * is claimed (or cancelled, or taken off), never completed or failed, since no agent worked on it.
 */
export const TASK_TRANSITIONS: Transitions<TaskState> = {
  pending: ['assigned', 'running', 'cancelled'],
  assigned: ['assigned', 'running', 'pending', 'completed', 'failed', 'cancelled'],
  running: ['assigned', 'pending', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];
export const isTerminalTaskState = (state: TaskState) => TERMINAL_TASK_STATES.includes(state);

export function assertTaskTransition(from: TaskState, to: TaskState): void {
  assertTransition(TASK_TRANSITIONS, 'task', from, to);
}

export const Task = z.object({
  id: z.uuid(),
  description: z.string(),
  state: TaskState,
  assigned_to: z.uuid().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  result: z.string().nullable(),
  parent_id: z.uuid().nullable(),
  tags: z.array(z.string()),
});
export type Task = z.infer<typeof Task>;

export const Priority = z.enum(['low', 'normal', 'high', 'urgent']);
export type Priority = z.infer<typeof Priority>;

/** Tags given as `a, b ,c` become `['a','b','c']`; empty entries are dropped. */
export function parseTags(input: string | readonly string[] | undefined): string[] {
  const parts = typeof input === 'string' ? input.split(',') : [...(input ?? [])];
  return parts.map((tag) => tag.trim()).filter((tag) => tag.length > 0);
}
