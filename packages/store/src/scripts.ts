import { TinytownError } from '@tinytown/core';
import type { Redis } from 'ioredis';
import { toStoreError } from './errors.js';
import addToBacklog from './lua/addToBacklog.lua';
import assignAllBacklog from './lua/assignAllBacklog.lua';
import claimNextTask from './lua/claimNextTask.lua';
import claimTask from './lua/claimTask.lua';
import createTask from './lua/createTask.lua';
import deleteTask from './lua/deleteTask.lua';
import findAgentByName from './lua/findAgentByName.lua';
import heartbeat from './lua/heartbeat.lua';
import helpers from './lua/helpers.lua';
import listAgents from './lua/listAgents.lua';
import missionCommit from './lua/missionCommit.lua';
import missionCreate from './lua/missionCreate.lua';
import missionDelete from './lua/missionDelete.lua';
import missionLease from './lua/missionLease.lua';
import missionNote from './lua/missionNote.lua';
import missionReset from './lua/missionReset.lua';
import prelude from './lua/prelude.lua';
import pruneAgents from './lua/pruneAgents.lua';
import reapAgent from './lua/reapAgent.lua';
import reclaimAgent from './lua/reclaimAgent.lua';
import registerAgent from './lua/registerAgent.lua';
import removeBacklogTask from './lua/removeBacklogTask.lua';
import resetTown from './lua/resetTown.lua';
import sendMessage from './lua/sendMessage.lua';
import settleRound from './lua/settleRound.lua';
import takeRound from './lua/takeRound.lua';
import transitionAgent from './lua/transitionAgent.lua';
import transitionTask from './lua/transitionTask.lua';

const SCRIPTS = {
  addToBacklog,
  assignAllBacklog,
  claimNextTask,
  claimTask,
  createTask,
  deleteTask,
  findAgentByName,
  heartbeat,
  listAgents,
  missionCommit,
  missionCreate,
  missionDelete,
  missionLease,
  missionNote,
  missionReset,
  pruneAgents,
  reapAgent,
  reclaimAgent,
  registerAgent,
  removeBacklogTask,
  resetTown,
  sendMessage,
  settleRound,
  takeRound,
  transitionAgent,
  transitionTask,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type ScriptCommand = (
  prefix: string,
  now: string,
  nowMs: number,
  params: string,
  ...raw: string[]
) => Promise<unknown>;

const COMMAND_PREFIX = 'tinytown_';

/**
 * Scripts on the message hot path that need only the core prelude: defining the shared helpers costs a
 * couple of microseconds of Redis time on every call.
 */
const LEAN_SCRIPTS: ReadonlySet<ScriptName> = new Set(['sendMessage', 'findAgentByName']);

/** Registers every script on a connection once; ioredis then calls EVALSHA and reloads on NOSCRIPT. */
export function defineScripts(redis: Redis): void {
  for (const [name, body] of Object.entries(SCRIPTS)) {
    const shared = LEAN_SCRIPTS.has(name as ScriptName) ? prelude : `${prelude}\n${helpers}`;
    redis.defineCommand(`${COMMAND_PREFIX}${name}`, { numberOfKeys: 1, lua: `${shared}\n${body}` });
  }
}

/** Runs one script atomically. Typed failures raised inside the script come back as TinytownErrors. */
export async function runScript(
  redis: Redis,
  prefix: string,
  name: ScriptName,
  params: Record<string, unknown>,
  /** Large strings passed as they are (ARGV[4]…), so the script need not decode them. */
  raw: readonly string[] = [],
): Promise<unknown> {
  const command = (redis as unknown as Record<string, ScriptCommand | undefined>)[`${COMMAND_PREFIX}${name}`];
  if (!command)
    throw new TinytownError('REDIS_UNAVAILABLE', `script ${name} is not loaded on this connection`);
  const now = Date.now();
  try {
    return await command.call(
      redis,
      prefix,
      new Date(now).toISOString(),
      now,
      JSON.stringify(params),
      ...raw,
    );
  } catch (error) {
    throw toStoreError(error);
  }
}
