import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/** `round-<round number>-<start time in ms>.log`; nothing else in the directory is a round log. */
const ROUND_LOG_NAME = /^round-(\d+)-(\d+)\.log$/;

/** The directory holding an agent's per-round logs: `<town>/.tt/logs/<agent id>/`. */
export function roundLogDir(townRoot: string, agentId: string): string {
  return join(resolve(townRoot), '.tt', 'logs', agentId);
}

/** The log file of a round, named by the round number the log lines and the prompt use. */
export function roundLogFile(dir: string, round: number, startedAt: number): string {
  return join(dir, `round-${round}-${startedAt}.log`);
}

/** The round logs in `dir`, newest first by the start time in their names (a new loop numbers its rounds from 1 again). */
async function roundLogsNewestFirst(dir: string): Promise<string[]> {
  const logs = (await readdir(dir, { withFileTypes: true })).flatMap((entry) => {
    const match = ROUND_LOG_NAME.exec(entry.name);
    return match && entry.isFile()
      ? [{ name: entry.name, startedAt: Number(match[2]), round: Number(match[1]) }]
      : [];
  });
  logs.sort((a, b) => b.startedAt - a.startedAt || b.round - a.round);
  return logs.map(({ name }) => name);
}

/** The path of the newest round log in `dir`, or null when it holds none (or does not exist). */
export async function newestRoundLog(dir: string): Promise<string | null> {
  try {
    const [newest] = await roundLogsNewestFirst(dir);
    return newest === undefined ? null : join(dir, newest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Once the round log `current` has been written, deletes all but the newest `keep` round logs in `dir`.
 * `current` is always kept; files that are not round logs (the round's pid file, anything a person put
 * there) are never touched. Returns what it deleted: nothing when `current` is not there (a round aborted
 * before it began).
 */
export async function pruneRoundLogs(dir: string, keep: number, current: string): Promise<string[]> {
  const currentName = basename(current);
  const logs = await roundLogsNewestFirst(dir);
  if (!logs.includes(currentName)) return [];
  const doomed = logs
    .filter((name) => name !== currentName)
    .slice(keep - 1)
    .map((name) => join(dir, name));
  // force: another process pruning the same directory may have got there first.
  await Promise.all(doomed.map((file) => rm(file, { force: true })));
  return doomed;
}
