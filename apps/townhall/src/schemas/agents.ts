import { z } from 'zod';
import { AgentRef, AgentStateLabel, Text } from './common.js';

export const AgentInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    nickname: z.string().nullable(),
    role_id: z.string().nullable(),
    parent_agent_id: z.string().nullable(),
    spawn_mode: z.enum(['fresh', 'forkedcontext', 'resumed']),
    cli: z.string(),
    state: AgentStateLabel,
    current_task: z.string().nullable(),
    current_scope: z.string().nullable().describe('Description of the task in hand, if any'),
    rounds_completed: z.number().int(),
    tasks_completed: z.number().int(),
    inbox_len: z.number().int(),
    urgent_len: z.number().int(),
    inflight_len: z.number().int().describe('Messages taken into a round and not yet acknowledged'),
    created_at: z.string(),
    last_heartbeat: z.string(),
    last_active_at: z.string(),
  })
  .meta({ id: 'AgentInfo' });

export const AgentList = z
  .object({ agents: z.array(AgentInfo), count: z.number().int() })
  .meta({ id: 'AgentList' });

export const SpawnAgentRequest = z
  .object({
    name: Text('name', 64).describe('1-64 letters, digits, ".", "_" or "-"; unique in the town'),
    cli: z.string().min(1).max(200).optional().describe('CLI preset; defaults to the town’s default_cli'),
    role_id: z.string().min(1).max(200).optional(),
    nickname: z.string().min(1).max(200).optional(),
    parent_agent_id: AgentRef.optional().describe('The parent agent (any agent reference)'),
  })
  .meta({ id: 'SpawnAgentRequest' });

export const SpawnAgentResponse = z
  .object({
    agent_id: z.string(),
    name: z.string(),
    cli: z.string(),
    role_id: z.string().nullable(),
    nickname: z.string().nullable(),
    parent_agent_id: z.string().nullable(),
    state: AgentStateLabel,
  })
  .meta({ id: 'SpawnAgentResponse' });

export const AgentActionResponse = z
  .object({
    status: z.enum(['stopped', 'restarted', 'paused', 'resumed', 'draining']),
    agent: z.string().describe('The agent reference as given'),
    agent_id: z.string(),
    previous_state: AgentStateLabel,
    state: AgentStateLabel,
  })
  .meta({ id: 'AgentActionResponse' });

export const PruneRequest = z
  .object({
    all: z.boolean().default(false).describe('Remove every agent, not only stopped and errored ones'),
  })
  .meta({ id: 'PruneRequest' });

export const PruneResponse = z
  .object({ removed: z.number().int(), agents: z.array(z.string()) })
  .meta({ id: 'PruneResponse' });
