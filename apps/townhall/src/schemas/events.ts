import { EVENT_TYPES } from '@tinytown/core';
import { z } from 'zod';
import { AgentRef } from './common.js';

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Newest N events'),
  agent: AgentRef.optional().describe('Only this agent’s events'),
});

export const TownEventSchema = z
  .object({
    id: z.string(),
    event_type: z.enum(EVENT_TYPES),
    agent_id: z.string().optional(),
    task_id: z.string().optional(),
    mission_id: z.string().optional(),
    old_state: z.string().optional(),
    new_state: z.string().optional(),
    message: z.string(),
    timestamp: z.string(),
  })
  .meta({ id: 'TownEvent' });

export const EventList = z
  .object({ events: z.array(TownEventSchema), count: z.number().int() })
  .meta({ id: 'EventList' });
