import {
  type Agent,
  CONDUCTOR_ID,
  categorizeMessage,
  displayLabel,
  isTerminalTaskState,
  type Message,
  summarizeMessage,
  type Task,
} from '@tinytown/core';

/** A message the agent's CLI has to act on this round. */
export interface ActionableMessage {
  readonly message: Message;
  readonly category: 'task' | 'query' | 'other';
  readonly urgent: boolean;
  readonly senderId: string;
  /** Who sent it, as people know them (`Nickname [role]`, `conductor`); the original showed raw UUIDs. */
  readonly senderName: string;
  /** What to pass to `tt send` to answer: the sender's agent name, `conductor`, or its id if unknown. */
  readonly replyTo: string;
}

export interface ConfirmationCount {
  readonly summary: string;
  readonly count: number;
}

export interface RoundClassification {
  /** Urgent first, then the rest, each in arrival order. */
  readonly actionable: readonly ActionableMessage[];
  /** One line per informational message, sender included. */
  readonly informational: readonly string[];
  /** Acknowledgements folded by kind: `confirmation: thanks` ×3. */
  readonly confirmations: readonly ConfirmationCount[];
}

export type Sender = Pick<Agent, 'name' | 'nickname' | 'role_id'>;
/** Finds the agent behind a sender id; undefined for ids that are not (or no longer) agents. */
export type SenderLookup = (senderId: string) => Sender | undefined;

export const INFO_SUMMARY_MAX = 100;
export const CONFIRMATION_SUMMARY_MAX = 60;

/** Collapses whitespace so a multi-line message body stays one bullet in a markdown list. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

function describeSender(senderId: string, lookup: SenderLookup | undefined): { name: string; ref: string } {
  if (senderId === CONDUCTOR_ID) return { name: 'conductor', ref: 'conductor' };
  const agent = lookup?.(senderId);
  if (agent) return { name: displayLabel(agent), ref: agent.name };
  return { name: senderId, ref: senderId };
}

export function isUrgentMessage(message: Message): boolean {
  return message.urgent === true || message.priority === 'urgent';
}

/**
 * Sorts one round's messages into what the CLI must handle and what only needs a mention. Urgent
 * messages go first without reordering the rest (the original served urgent ones newest-first).
 */
export function classifyRound(
  messages: readonly Message[],
  senderLookup?: SenderLookup,
): RoundClassification {
  const urgent: ActionableMessage[] = [];
  const normal: ActionableMessage[] = [];
  const informational: string[] = [];
  const confirmations = new Map<string, number>();

  for (const message of messages) {
    const category = categorizeMessage(message);
    const sender = describeSender(message.from, senderLookup);
    if (category === 'informational') {
      informational.push(
        oneLine(`${sender.name}: ${summarizeMessage(message, INFO_SUMMARY_MAX)}`, INFO_SUMMARY_MAX),
      );
      continue;
    }
    if (category === 'confirmation') {
      const key = oneLine(summarizeMessage(message, CONFIRMATION_SUMMARY_MAX), CONFIRMATION_SUMMARY_MAX);
      confirmations.set(key, (confirmations.get(key) ?? 0) + 1);
      continue;
    }
    const item: ActionableMessage = {
      message,
      category,
      urgent: isUrgentMessage(message),
      senderId: message.from,
      senderName: sender.name,
      replyTo: sender.ref,
    };
    (item.urgent ? urgent : normal).push(item);
  }

  return {
    actionable: [...urgent, ...normal],
    informational,
    confirmations: [...confirmations].map(([summary, count]) => ({ summary, count })),
  };
}

/** Why a `task_assign` no longer asks anything of this agent, or undefined while it still does. */
function staleReason(
  task: Pick<Task, 'state' | 'assigned_to'> | undefined,
  agentId: string,
): string | undefined {
  if (!task) return 'no longer exists';
  if (isTerminalTaskState(task.state)) return `is already ${task.state}`;
  if (task.assigned_to !== agentId) return 'is no longer assigned to you';
  return undefined;
}

/**
 * Turns assignments that went stale while they waited in the inbox (the task was cancelled, finished,
 * reassigned or deleted, e.g. after a kill put them back) into informational lines. Left actionable, they
 * sent the CLI after a task it could no longer complete, the round failed, and the agent ended in error.
 */
export function withoutStaleAssignments(
  classification: RoundClassification,
  tasks: readonly Pick<Task, 'id' | 'state' | 'assigned_to'>[],
  agentId: string,
): RoundClassification {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const actionable: ActionableMessage[] = [];
  const informational = [...classification.informational];
  for (const item of classification.actionable) {
    const { message } = item;
    const reason =
      message.type === 'task_assign' ? staleReason(byId.get(message.task_id), agentId) : undefined;
    if (message.type !== 'task_assign' || reason === undefined) {
      actionable.push(item);
      continue;
    }
    informational.push(
      oneLine(`${item.senderName}: assigned task ${message.task_id}, which ${reason}; nothing to do`, 200),
    );
  }
  if (actionable.length === classification.actionable.length) return classification;
  return { ...classification, actionable, informational };
}
