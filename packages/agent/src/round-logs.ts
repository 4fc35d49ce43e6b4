import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { TinytownError } from '@tinytown/core';

/** Round logs kept per agent when the settings do not say. */
export const DEFAULT_KEEP_ROUND_LOGS = 200;

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

/**
 * How many round logs to keep, checked before the loop touches anything: a count that is not a whole
 * number of at least 1 would delete every log, the current one included, or none.
 */
export function keepRoundLogsSetting(value: number | undefined): number {
  if (value === undefined) return DEFAULT_KEEP_ROUND_LOGS;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `settings.keepRoundLogs must be a whole number of 1 or more (the newest round logs kept per agent), got ${value}`,
      { field: 'settings.keepRoundLogs', value },
    );
  }
  return value;
}

/**
 * Once the round log `current` has been written, deletes all but the newest `keep` round logs in `dir`,
 * newest by the start time in their names (a new loop numbers its rounds from 1 again). `current` is always
 * kept; files that are not round logs (the round's pid file, anything a person put there) are never
 * touched. Returns what it deleted: nothing when `current` is not there (a round aborted before it began).
 */
export async function pruneRoundLogs(dir: string, keep: number, current: string): Promise<string[]> {
  const currentName = basename(current);
  const logs = (await readdir(dir, { withFileTypes: true })).flatMap((entry) => {
    const match = ROUND_LOG_NAME.exec(entry.name);
    return match && entry.isFile()
      ? [{ name: entry.name, startedAt: Number(match[2]), round: Number(match[1]) }]
      : [];
  });
  if (!logs.some(({ name }) => name === currentName)) return [];
  const older = logs.filter(({ name }) => name !== currentName);
  older.sort((a, b) => b.startedAt - a.startedAt || b.round - a.round);
  const doomed = older.slice(keep - 1).map(({ name }) => join(dir, name));
  // force: another process pruning the same directory may have got there first.
  await Promise.all(doomed.map((file) => rm(file, { force: true })));
  return doomed;
}
