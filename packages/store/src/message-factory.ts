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
