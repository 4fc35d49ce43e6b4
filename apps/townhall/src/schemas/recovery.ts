import { z } from 'zod';
import { AgentRef } from './common.js';

export const RecoverResponse = z
  .object({
    checked: z.number().int(),
    recovered: z.number().int(),
    agents: z.array(z.string()),
    messages_returned: z.number().int(),
    tasks_requeued: z.number().int(),
  })
  .meta({ id: 'RecoverResponse' });

export const ReclaimRequest = z
  .object({
    to_backlog: z.boolean().default(false),
    to: AgentRef.optional().describe('Give the work to this agent'),
    from: AgentRef.optional().describe('Only this stopped agent'),
  })
  .meta({ id: 'ReclaimRequest' });

export const ReclaimResponse = z
  .object({
    reclaimed: z.number().int(),
    destination: z.string().describe('"backlog", "agent:<name>", or "listed" (nothing moved)'),
    work: z
      .array(
        z.object({
          agent_id: z.string(),
          agent_name: z.string(),
          messages: z.number().int(),
          tasks: z.array(z.string()),
        }),
      )
      .describe('In list mode, what each stopped agent holds; otherwise what could not be moved'),
  })
  .meta({ id: 'ReclaimResponse' });

export const OrphanTasksRequest = z
  .object({
    action: z
      .enum(['list', 'to_backlog', 'backlog', 'cancel', 'delete', ''])
      .default('list')
      .describe('list (default, changes nothing), to_backlog, cancel or delete'),
  })
  .meta({ id: 'OrphanTasksRequest' });

export const OrphanTasksResponse = z
  .object({
    action: z.enum(['list', 'to_backlog', 'cancel', 'delete']),
    count: z.number().int(),
    orphans: z.array(
      z.object({
        task_id: z.string(),
        assigned_to: z.string().nullable(),
        state: z.string(),
        reason: z.enum(['agent_missing', 'agent_terminal']),
      }),
    ),
  })
  .meta({ id: 'OrphanTasksResponse' });
