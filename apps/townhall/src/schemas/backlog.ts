import { z } from 'zod';
import { AgentRef, Text } from './common.js';

export const AddBacklogRequest = z
  .object({
    description: Text('description'),
    tags: z.array(z.string().max(200)).max(50).optional(),
  })
  .meta({ id: 'AddBacklogRequest' });

export const AddBacklogResponse = z
  .object({ task_id: z.string(), description: z.string(), tags: z.array(z.string()) })
  .meta({ id: 'AddBacklogResponse' });

export const BacklogList = z
  .object({
    backlog: z.array(z.object({ task_id: z.string(), description: z.string(), tags: z.array(z.string()) })),
    count: z.number().int(),
  })
  .meta({ id: 'BacklogList' });

export const ClaimRequest = z.object({ agent: AgentRef }).meta({ id: 'ClaimRequest' });

export const ClaimResponse = z
  .object({ task_id: z.string(), agent_id: z.string(), agent_name: z.string() })
  .meta({ id: 'ClaimResponse' });

export const AssignAllRequest = z.object({ agent: AgentRef }).meta({ id: 'AssignAllRequest' });

export const AssignAllResponse = z
  .object({ assigned: z.number().int(), tasks: z.array(z.string()), agent_id: z.string() })
  .meta({ id: 'AssignAllResponse' });

export const RemoveBacklogResponse = z
  .object({ removed: z.literal(true), task_id: z.string() })
  .meta({ id: 'RemoveBacklogResponse' });
