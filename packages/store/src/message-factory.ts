import { CONDUCTOR_ID, type Message, type MessageBody, newId } from '@tinytown/core';

/** A new message envelope around a body; the store writes it as JSON in the original's wire shape. */
export function newMessage(
  to: string,
  body: MessageBody,
  options: { from?: string; urgent?: boolean } = {},
): Message {
  return {
    id: newId(),
    from: options.from ?? CONDUCTOR_ID,
    to,
    ...body,
    priority: options.urgent ? 'urgent' : 'normal',
    created_at: new Date().toISOString(),
    correlation_id: null,
    ...(options.urgent ? { urgent: true } : {}),
  } as Message;
}

/** The message that hands a task to its assignee. */
export function taskAssignMessage(to: string, taskId: string): Message {
  return newMessage(to, { type: 'task_assign', task_id: taskId });
}

/**
 * A task_assign message without its task id, for a script that picks the task itself: scripts cannot
 * mint UUIDs, so the caller prepares the envelope and the script fills in `task_id`.
 */
export function assignEnvelope(to: string): Record<string, unknown> {
  const { task_id: _unset, ...envelope } = taskAssignMessage(to, '') as Message & { task_id: string };
  return envelope;
}
