import { TownEvent } from '@tinytown/core';
import { z } from 'zod';
import { AgentRef } from './common.js';

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Newest N events'),
  agent: AgentRef.optional().describe('Only this agent’s events'),
});

export const TownEventSchema = TownEvent.meta({ id: 'TownEvent' });

export const EventList = z
  .object({ events: z.array(TownEventSchema), count: z.number().int() })
  .meta({ id: 'EventList' });
