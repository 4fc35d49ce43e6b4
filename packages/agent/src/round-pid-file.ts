import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopGroup, waitForGroupExit } from './process-group.js';

/**
 * The pid file of the round an agent's loop is running. The CLI leads its own process group, so when the
 * loop itself dies hard (kill -9, the OOM killer) nothing signals that group: the file lets whoever next
 * looks after the agent — a new loop, `tt recover`, `tt kill` — find and stop what the dead loop left.
 */
export function roundPidFile(roundLogDir: string): string {
  return join(roundLogDir, 'round.pid');
}

interface RoundPid {
  pid: number;
  /** The leader's start time in clock ticks since boot (/proc), which tells a reused pid from ours. */
  startTicks: string | undefined;
}

async function startTicks(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export async function writeRoundPidFile(file: string, pid: number): Promise<void> {
  const ticks = await startTicks(pid);
  await writeFile(file, `${pid}${ticks === undefined ? '' : ` ${ticks}`}\n`);
}

export async function removeRoundPidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

async function readRoundPidFile(file: string): Promise<RoundPid | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const [pidText, ticks] = (text ?? '').trim().split(' ');
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 1 ? { pid, startTicks: ticks } : undefined;
}

/**
 * Whether the group named by the file is still the round's. While any member lives, Linux does not hand
 * the group's id out as a new pid, so a group without its leader is necessarily ours; a living leader must
 * also have the start time we recorded.
 */
async function isSameRound(round: RoundPid): Promise<boolean> {
  const ticks = await startTicks(round.pid);
  if (ticks === undefined || round.startTicks === undefined) return true;
  return ticks === round.startTicks;
}

/**
 * Stops the round a dead loop left running: SIGTERM to its process group, SIGKILL after `graceMs`, then
 * removes the file. Only call it once the loop that wrote the file is known to be gone. Returns whether
 * there was a round to stop.
 */
export async function stopOrphanedRound(file: string, graceMs = 5_000): Promise<boolean> {
  const round = await readRoundPidFile(file);
  const orphaned =
    round !== undefined && !(await waitForGroupExit(round.pid, 0)) && (await isSameRound(round));
  if (orphaned) await stopGroup(round.pid, graceMs);
  await removeRoundPidFile(file);
  return orphaned;
}
