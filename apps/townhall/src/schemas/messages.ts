import { z } from 'zod';
import { AgentRef, Text } from './common.js';

export const SendMessageRequest = z
  .object({
    to: AgentRef,
    message: Text('message'),
    from: AgentRef.optional().describe(
      'Optional sender: an agent name, agent UUID, or the "supervisor"/"conductor" alias. When omitted the message comes from the conductor.',
    ),
    kind: z.enum(['task', 'query', 'info', 'ack']).default('task'),
    urgent: z.boolean().default(false),
  })
  .meta({ id: 'SendMessageRequest' });

export const SendMessageResponse = z
  .object({ message_id: z.string(), to_agent: z.string(), urgent: z.boolean() })
  .meta({ id: 'SendMessageResponse' });

export const InboxMessage = z.object({
  id: z.string(),
  from: z.string(),
  type: z.string(),
  summary: z.string(),
  urgent: z.boolean(),
  created_at: z.string(),
});

export const InboxResponse = z
  .object({
    agent: z.string(),
    agent_id: z.string(),
    total: z.number().int().describe('Queued messages, urgent and normal'),
    urgent: z.number().int(),
    inflight: z.number().int().describe('Messages taken into a round, not acknowledged yet'),
    messages: z.array(InboxMessage).describe('Up to 100 queued messages in delivery order'),
  })
  .meta({ id: 'InboxResponse' });
