import { readdir, readFile } from 'node:fs/promises';

/**
 * Process-group helpers. A round's CLI is spawned as the leader of its own group, so signalling the
 * negative pid reaches everything it started — the AI CLI's shells, test runners, dev servers.
 */

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Sends `signal` to every process in the group; false when it could not be delivered. Called from
 * timers, so it never throws: EPERM (a member turned setuid) must not crash the agent runtime.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and parens. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

async function procStat(pid: string): Promise<string[] | undefined> {
  try {
    return statFields(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is still running. Zombies count as gone: killed orphans are reparented to pid 1,
 * and in containers pid 1 often never reaps them, though they hold no resources and do no work.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  if (process.platform === 'linux') {
    const fields = await procStat(String(pid));
    return fields !== undefined && fields[0] !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Whether the group has any member, zombies included. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Whether any live (non-zombie) process is left in the group. */
export async function isGroupAlive(pgid: number): Promise<boolean> {
  if (!groupExists(pgid)) return false;
  if (process.platform !== 'linux') return true;
  // Members exist, but they may all be unreaped zombies: only /proc can tell.
  const entries = await readdir('/proc');
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await procStat(entry);
    // fields: [0] state, [1] ppid, [2] pgrp
    if (fields && fields[2] === String(pgid) && fields[0] !== 'Z') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until the group has no live member or `ms` has passed; true if it is gone. */
export async function waitForGroupExit(pgid: number, ms: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await isGroupAlive(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** How long to wait for SIGKILL to take effect before reporting the group as gone anyway. */
const AFTER_KILL_WAIT_MS = 1_000;

/**
 * Stops every process left in the group: SIGTERM, then SIGKILL for whatever is still alive after
 * `graceMs`. Resolves once the group is gone or SIGKILL has had its chance.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (await waitForGroupExit(pgid, 0)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitForGroupExit(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, AFTER_KILL_WAIT_MS);
}
