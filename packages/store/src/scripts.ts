import { TinytownError } from '@tinytown/core';
import type { ChainableCommander, Redis } from 'ioredis';
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
import recordRound from './lua/recordRound.lua';
import registerAgent from './lua/registerAgent.lua';
import removeBacklogTask from './lua/removeBacklogTask.lua';
import resetTown from './lua/resetTown.lua';
import sendMessage from './lua/sendMessage.lua';
import settleRound from './lua/settleRound.lua';
import takeRound from './lua/takeRound.lua';
import touchRoster from './lua/touchRoster.lua';
import transitionAgent from './lua/transitionAgent.lua';
import transitionTask from './lua/transitionTask.lua';
import workerBeat from './lua/workerBeat.lua';

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
  recordRound,
  registerAgent,
  removeBacklogTask,
  resetTown,
  sendMessage,
  settleRound,
  takeRound,
  touchRoster,
  transitionAgent,
  transitionTask,
  workerBeat,
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
const LEAN_SCRIPTS: ReadonlySet<ScriptName> = new Set([
  'sendMessage',
  'findAgentByName',
  'touchRoster',
  'recordRound',
  'workerBeat',
]);

/**
 * Scripts that leave the roster revision alone: they never change what an agent listing shows, or (the
 * reset) delete the revision outright. Every other script moves the revision when it succeeds, so a
 * script added later keeps listings fresh unless it is declared here.
 */
const ROSTER_NEUTRAL: ReadonlySet<ScriptName> = new Set([
  'listAgents',
  'findAgentByName',
  'addToBacklog',
  'removeBacklogTask',
  'missionCreate',
  'missionDelete',
  'missionLease',
  'missionNote',
  'missionReset',
  'resetTown',
  'workerBeat',
]);

/**
 * The body runs as a function so that the revision moves only once it has returned: a script that
 * fails validation aborts before the bump and so changes nothing at all.
 */
function movingRoster(body: string): string {
  return `local function script_body()\n${body}\nend\nlocal result = script_body()\nbump_roster()\nreturn result`;
}

/** Registers every script on a connection once; ioredis then calls EVALSHA and reloads on NOSCRIPT. */
export function defineScripts(redis: Redis): void {
  for (const [name, body] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
    const shared = LEAN_SCRIPTS.has(name) ? prelude : `${prelude}\n${helpers}`;
    const lua = `${shared}\n${ROSTER_NEUTRAL.has(name) ? body : movingRoster(body)}`;
    redis.defineCommand(`${COMMAND_PREFIX}${name}`, { numberOfKeys: 1, lua });
  }
}

function scriptCommand<T extends object>(target: T, name: ScriptName): ScriptCommand {
  const command = (target as unknown as Record<string, ScriptCommand | undefined>)[
    `${COMMAND_PREFIX}${name}`
  ];
  if (!command)
    throw new TinytownError('REDIS_UNAVAILABLE', `script ${name} is not loaded on this connection`);
  return command;
}

/** KEYS[1] and ARGV as prelude.lua reads them. */
function scriptArgs(
  prefix: string,
  params: Record<string, unknown>,
  raw: readonly string[],
): [string, string, number, string, ...string[]] {
  const now = Date.now();
  return [prefix, new Date(now).toISOString(), now, JSON.stringify(params), ...raw];
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
  const command = scriptCommand(redis, name);
  try {
    return await command.call(redis, ...scriptArgs(prefix, params, raw));
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Adds one script call to a MULTI, so that it commits with the commands around it. */
export function queueScript(
  multi: ChainableCommander,
  prefix: string,
  name: ScriptName,
  params: Record<string, unknown>,
): void {
  void scriptCommand(multi, name).call(multi, ...scriptArgs(prefix, params, []));
}
