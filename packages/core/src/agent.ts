import { z } from 'zod';
import { shortId } from './ids.js';
import { assertTransition, type Transitions } from './state-machine.js';

export const AGENT_STATES = [
  'cold',
  'starting',
  'idle',
  'working',
  'paused',
  'draining',
  'stopped',
  'error',
] as const;
export const AgentState = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentState>;

/** Which agent state may follow which. Anything else is refused atomically by the store. */
export const AGENT_TRANSITIONS: Transitions<AgentState> = {
  cold: ['starting', 'idle', 'stopped'],
  starting: ['idle', 'working', 'paused', 'draining', 'stopped', 'error'],
  idle: ['working', 'paused', 'draining', 'stopped', 'error'],
  working: ['idle', 'paused', 'draining', 'stopped', 'error'],
  paused: ['idle', 'draining', 'stopped', 'error'],
  draining: ['working', 'stopped', 'error'],
  stopped: ['starting', 'idle'],
  error: ['starting', 'idle', 'stopped'],
};

export const TERMINAL_AGENT_STATES: readonly AgentState[] = ['stopped', 'error', 'cold'];
/** States in which an agent process is expected to be running. */
export const ACTIVE_AGENT_STATES: readonly AgentState[] = [
  'starting',
  'idle',
  'working',
  'paused',
  'draining',
];

export const isTerminalAgentState = (state: AgentState) => TERMINAL_AGENT_STATES.includes(state);

export function assertAgentTransition(from: AgentState, to: AgentState): void {
  assertTransition(AGENT_TRANSITIONS, 'agent', from, to);
}

/** How the contract spells a state (`Idle`, `Working`, …). */
export function agentStateLabel(state: AgentState): string {
  return state.charAt(0).toUpperCase() + state.slice(1);
}

export const AgentType = z.enum(['worker', 'supervisor']);
export type AgentType = z.infer<typeof AgentType>;

/** Wire form kept from the original (`forkedcontext`, no separator). */
export const SpawnMode = z.enum(['fresh', 'forkedcontext', 'resumed']);
export type SpawnMode = z.infer<typeof SpawnMode>;

export const Agent = z.object({
  id: z.uuid(),
  name: z.string(),
  nickname: z.string().nullable(),
  role_id: z.string().nullable(),
  parent_agent_id: z.uuid().nullable(),
  spawn_mode: SpawnMode,
  agent_type: AgentType,
  state: AgentState,
  cli: z.string(),
  current_task: z.uuid().nullable(),
  created_at: z.string(),
  last_heartbeat: z.string(),
  last_active_at: z.string(),
  tasks_completed: z.number().int().nonnegative(),
  rounds_completed: z.number().int().nonnegative(),
});
export type Agent = z.infer<typeof Agent>;

export const DEFAULT_ROLE = 'default';

export function effectiveRole(agent: Pick<Agent, 'role_id'>): string {
  return agent.role_id ?? DEFAULT_ROLE;
}

export function displayName(agent: Pick<Agent, 'nickname' | 'name'>): string {
  return agent.nickname ?? agent.name;
}

/** `Nickname [role]`, or `Nickname [name]` when the agent has no role, so the label always says who it is. */
export function displayLabel(agent: Pick<Agent, 'nickname' | 'name' | 'role_id'>): string {
  const role = effectiveRole(agent);
  return `${displayName(agent)} [${role === DEFAULT_ROLE ? agent.name : role}]`;
}

export function agentShortId(agent: Pick<Agent, 'id'>): string {
  return shortId(agent.id);
}
