import { z } from 'zod';
import { AgentInfo } from './agents.js';
import { queryFlag } from './common.js';

export const TownInfo = z
  .object({
    name: z.string(),
    root: z.string(),
    redis_url: z.string().describe('The Redis URL with any password masked'),
  })
  .meta({ id: 'TownInfo' });

export const StatusQuery = z.object({
  deep: queryFlag(false, 'Include each agent’s recent activity lines'),
});

export const TownStatus = z
  .object({
    name: z.string(),
    root: z.string(),
    redis_url: z.string(),
    agent_count: z.number().int(),
    agents: z.array(AgentInfo),
    backlog_count: z.number().int(),
    activity: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .describe('With deep=true: recent activity lines per agent id, newest first'),
  })
  .meta({ id: 'TownStatus' });
