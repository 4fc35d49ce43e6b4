import { z } from 'zod';
import { Priority } from './task.js';

export const Confirmation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('received') }),
  z.object({ type: z.literal('acknowledged') }),
  z.object({ type: z.literal('thanks') }),
  z.object({ type: z.literal('approved') }),
  z.object({ type: z.literal('rejected'), reason: z.string() }),
]);
export type Confirmation = z.infer<typeof Confirmation>;

const BODY_VARIANTS = [
  z.object({ type: z.literal('task'), description: z.string() }),
  z.object({ type: z.literal('query'), question: z.string() }),
  z.object({ type: z.literal('informational'), summary: z.string() }),
  z.object({ type: z.literal('confirmation'), ack_type: Confirmation }),
  z.object({ type: z.literal('task_assign'), task_id: z.string() }),
  z.object({ type: z.literal('task_done'), task_id: z.string(), result: z.string() }),
  z.object({ type: z.literal('task_failed'), task_id: z.string(), error: z.string() }),
  z.object({ type: z.literal('status_request') }),
  z.object({ type: z.literal('status_response'), state: z.string(), current_task: z.string().nullable() }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('shutdown') }),
  z.object({ type: z.literal('custom'), kind: z.string(), payload: z.string() }),
] as const;

/** The message payload, tagged by `type` and flattened into the message (wire shape of the original). */
export const MessageBody = z.discriminatedUnion('type', BODY_VARIANTS);
export type MessageBody = z.infer<typeof MessageBody>;
export type MessageType = MessageBody['type'];

const Envelope = z.object({
  id: z.uuid(),
  from: z.string(),
  to: z.string(),
  priority: Priority,
  created_at: z.string(),
  correlation_id: z.string().nullable().optional(),
  /** Set when the message was sent to the urgent queue; recovery returns it there. */
  urgent: z.boolean().optional(),
});

// One discriminated union of envelope+body objects rather than an intersection: decoding a message is
// on every receive, and the union is checked in a single pass.
const [first, ...rest] = BODY_VARIANTS.map((variant) => Envelope.extend(variant.shape));
export const Message = z.discriminatedUnion('type', [first!, ...rest]);
export type Message = z.infer<typeof Message>;

/** What a sender picks when writing to an agent (`tt send --query`, REST `kind`). */
export const MessageKind = z.enum(['task', 'query', 'info', 'ack']);
export type MessageKind = z.infer<typeof MessageKind>;

/**
 * Reads an acknowledgement out of free text: `rejected: why`, `received…`, `approved…`, anything
 * thanking, and otherwise a plain acknowledgement.
 */
export function parseConfirmation(text: string): Confirmation {
  const lower = text.trim().toLowerCase();
  if (lower.startsWith('rejected:')) {
    const reason = text
      .trim()
      .slice(text.trim().indexOf(':') + 1)
      .trim();
    return { type: 'rejected', reason: reason || 'No reason provided' };
  }
  if (lower.startsWith('received')) return { type: 'received' };
  if (lower.startsWith('approved')) return { type: 'approved' };
  if (lower.includes('thanks') || lower.includes('thank you')) return { type: 'thanks' };
  return { type: 'acknowledged' };
}

export function bodyForKind(kind: MessageKind, text: string): MessageBody {
  switch (kind) {
    case 'task':
      return { type: 'task', description: text };
    case 'query':
      return { type: 'query', question: text };
    case 'info':
      return { type: 'informational', summary: text };
    case 'ack':
      return { type: 'confirmation', ack_type: parseConfirmation(text) };
  }
}

/** The short type name shown in inbox views (`info`, `custom:<kind>`, …). */
export function messageTypeName(body: MessageBody): string {
  if (body.type === 'informational') return 'info';
  if (body.type === 'custom') return `custom:${body.kind}`;
  return body.type;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** One line describing a message, for inbox previews and prompts. */
export function summarizeMessage(body: MessageBody, max = 72): string {
  switch (body.type) {
    case 'task':
      return `task: ${clip(body.description, max)}`;
    case 'query':
      return `query: ${clip(body.question, max)}`;
    case 'informational':
      return `info: ${clip(body.summary, max)}`;
    case 'confirmation':
      return body.ack_type.type === 'rejected'
        ? `confirmation: rejected (${clip(body.ack_type.reason, 56)})`
        : `confirmation: ${body.ack_type.type}`;
    case 'task_assign':
      return `task_assign: ${clip(body.task_id, 40)}`;
    case 'task_done':
      return `task_done: ${clip(body.task_id, 40)} ${clip(body.result, max)}`;
    case 'task_failed':
      return `task_failed: ${clip(body.task_id, 40)} ${clip(body.error, max)}`;
    case 'status_response':
      return `status_response: ${clip(body.state, 32)}`;
    case 'custom':
      return `custom:${clip(body.kind, 40)} ${clip(body.payload, max)}`;
    default:
      return body.type;
  }
}

/** How the agent runtime sorts a round's messages. */
export type MessageCategory = 'task' | 'query' | 'informational' | 'confirmation' | 'other';

const CONFIRMATION_WORDS = /\b(ack|acknowledged|thanks|thank you|received|approved)\b/;
const INFO_WORDS = /\b(info|fyi|status|update)\b/;
const QUERY_WORDS = /\b(query|question)\b/;

export function categorizeMessage(body: MessageBody): MessageCategory {
  switch (body.type) {
    case 'task':
    case 'task_assign':
      return 'task';
    case 'query':
    case 'status_request':
      return 'query';
    case 'informational':
    case 'task_done':
    case 'task_failed':
    case 'status_response':
    case 'ping':
    case 'pong':
      return 'informational';
    case 'confirmation':
      return 'confirmation';
    case 'shutdown':
      return 'other';
    case 'custom': {
      // Whole words only: "feedback" and "track" are not acknowledgements.
      const text = `${body.kind} ${body.payload}`.toLowerCase();
      if (CONFIRMATION_WORDS.test(text)) return 'confirmation';
      if (INFO_WORDS.test(text)) return 'informational';
      if (QUERY_WORDS.test(text)) return 'query';
      return 'task';
    }
  }
}

/** Actionable messages need the agent's CLI; the rest are summarised. */
export function isActionable(body: MessageBody): boolean {
  const category = categorizeMessage(body);
  return category === 'task' || category === 'query' || category === 'other';
}
