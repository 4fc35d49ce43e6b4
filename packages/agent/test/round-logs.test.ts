import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newestRoundLog, pruneRoundLogs, roundLogFile } from '../src/round-logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-round-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes round logs 1..count, one second apart from `start`; returns their paths, oldest first. */
async function writeRounds(count: number, start = 1_700_000_000_000): Promise<string[]> {
  const files = Array.from({ length: count }, (_, index) =>
    roundLogFile(dir, index + 1, start + index * 1000),
  );
  for (const file of files) await writeFile(file, 'output\n');
  return files;
}

const names = async () => (await readdir(dir)).sort();

describe('pruneRoundLogs', () => {
  it('keeps the newest round logs and nothing else of theirs', async () => {
    const files = await writeRounds(5);
    const removed = await pruneRoundLogs(dir, 3, files[4]!);
    expect(removed.sort()).toEqual(files.slice(0, 2));
    expect(await names()).toEqual(
      files
        .slice(2)
        .map((file) => file.slice(dir.length + 1))
        .sort(),
    );
  });

  it('never touches files that are not round logs', async () => {
    const files = await writeRounds(4);
    const foreign = [
      'round.pid',
      'notes.txt',
      'round-7.log',
      'round-1-1700000000000.log.prompt.md',
      'round-x-1.log',
      'my-round-1-1.log',
    ];
    for (const name of foreign) await writeFile(join(dir, name), 'keep me');
    await mkdir(join(dir, 'round-9-1.log'));
    await pruneRoundLogs(dir, 1, files[3]!);
    expect(await names()).toEqual([...foreign, 'round-9-1.log', files[3]!.slice(dir.length + 1)].sort());
  });

  it('orders by start time, not round number: a restarted loop numbers its rounds from 1 again', async () => {
    const before = await writeRounds(3);
    const after = await writeRounds(2, 1_800_000_000_000);
    await pruneRoundLogs(dir, 3, after[1]!);
    expect(await names()).toEqual([before[2]!, ...after].map((file) => file.slice(dir.length + 1)).sort());
  });

  it('keeps the log just written even when an older-looking name sorts after it (a clock set back)', async () => {
    const files = await writeRounds(3);
    const current = roundLogFile(dir, 4, 1_600_000_000_000);
    await writeFile(current, 'output\n');
    await pruneRoundLogs(dir, 2, current);
    expect(await names()).toEqual([current, files[2]!].map((file) => file.slice(dir.length + 1)).sort());
  });

  it('deletes nothing when the round wrote no log', async () => {
    const files = await writeRounds(3);
    expect(await pruneRoundLogs(dir, 1, roundLogFile(dir, 4, Date.now()))).toEqual([]);
    expect(await names()).toHaveLength(files.length);
  });
});

describe('newestRoundLog', () => {
  it('is the round log started last, whatever its round number; null when there is none', async () => {
    expect(await newestRoundLog(join(dir, 'no-such-agent'))).toBeNull();
    await writeFile(join(dir, 'notes.txt'), 'not a log\n');
    expect(await newestRoundLog(dir)).toBeNull();
    const files = await writeRounds(3);
    // A restarted loop numbers its rounds from 1 again: its round 1 is newer than round 3.
    const restarted = roundLogFile(dir, 1, 1_800_000_000_000);
    await writeFile(restarted, 'output\n');
    expect(await newestRoundLog(dir)).toBe(restarted);
    await rm(restarted);
    expect(await newestRoundLog(dir)).toBe(files[2]);
  });
});
