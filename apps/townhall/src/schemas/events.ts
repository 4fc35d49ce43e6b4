import { TownEvent } from '@tinytown/core';
import { z } from 'zod';
import { AgentRef, Id } from './common.js';

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Newest N events'),
  agent: AgentRef.optional().describe('Only this agent’s events'),
  mission: Id.optional().describe('Only this mission’s activity (not together with agent)'),
});

export const TownEventSchema = TownEvent.meta({ id: 'TownEvent' });

export const EventList = z
  .object({ events: z.array(TownEventSchema), count: z.number().int() })
  .meta({ id: 'EventList' });
