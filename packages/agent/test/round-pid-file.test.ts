import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGroupAlive, isProcessAlive, signalGroup } from '../src/process-group.js';
import { runCliRound } from '../src/process-runner.js';
import { buildRoundEnv } from '../src/round-env.js';
import { roundPidFile, stopOrphanedRound, writeRoundPidFile } from '../src/round-pid-file.js';
import { waitForFile } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

let dir: string;
const groups: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-round-pid-'));
});
afterEach(async () => {
  for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A round as a dead loop leaves it: a CLI leading its own group, with a grandchild, nobody waiting. */
async function orphanedRound(): Promise<{ leader: number; grandchild: number }> {
  const grandchildFile = join(dir, 'grandchild.pid');
  const child = spawn('sh', [join(FIXTURES, 'spawn-grandchild.sh'), grandchildFile], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const leader = child.pid;
  if (leader === undefined) throw new Error('sh did not start');
  groups.push(leader);
  return { leader, grandchild: Number(await waitForFile(grandchildFile)) };
}

describe('round pid file', () => {
  it('names the running CLI while the round runs, and is gone once it ends', async () => {
    const pidFile = roundPidFile(join(dir, 'logs'));
    const grandchildFile = join(dir, 'grandchild.pid');
    const round = runCliRound({
      cli: { argv: ['sh', join(FIXTURES, 'spawn-grandchild.sh'), grandchildFile], promptVia: 'stdin' },
      prompt: 'work',
      cwd: dir,
      env: buildRoundEnv({ agentId: 'agent-1', agentName: 'bob', town: 'shop' }),
      logFile: join(dir, 'logs', 'round-1.log'),
      pidFile,
      timeoutMs: 1_000,
      killGraceMs: 200,
    });
    await waitForFile(grandchildFile);
    const [recorded] = (await waitForFile(pidFile)).split(' ');
    const outcome = await round;
    expect(Number(recorded)).toBe(outcome.pid);
    expect(outcome.timedOut).toBe(true);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('stops the whole group of a round whose loop is gone, and removes the file', async () => {
    const { leader, grandchild } = await orphanedRound();
    const pidFile = join(dir, 'round.pid');
    await writeRoundPidFile(pidFile, leader);

    expect(await stopOrphanedRound(pidFile, 500)).toBe(true);
    expect(await isGroupAlive(leader)).toBe(false);
    expect(await isProcessAlive(grandchild)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('stops what is left of the group after its leader has exited', async () => {
    const { leader, grandchild } = await orphanedRound();
    const pidFile = join(dir, 'round.pid');
    await writeRoundPidFile(pidFile, leader);
    process.kill(leader, 'SIGKILL');
    // The grandchild keeps the group (and so its id) alive on its own.
    expect(await isProcessAlive(grandchild)).toBe(true);

    expect(await stopOrphanedRound(pidFile, 500)).toBe(true);
    expect(await isProcessAlive(grandchild)).toBe(false);
  });

  it('leaves alone a process that reuses the recorded pid', async () => {
    const { leader, grandchild } = await orphanedRound();
    const pidFile = join(dir, 'round.pid');
    // Recorded with another start time: the round it names ended and the pid went to someone else.
    await writeFile(pidFile, `${leader} 1\n`);

    expect(await stopOrphanedRound(pidFile, 500)).toBe(false);
    expect(await isProcessAlive(leader)).toBe(true);
    expect(await isProcessAlive(grandchild)).toBe(true);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('does nothing without a file, or with one that names no pid', async () => {
    expect(await stopOrphanedRound(join(dir, 'missing.pid'))).toBe(false);
    const garbage = join(dir, 'garbage.pid');
    await writeFile(garbage, 'not a pid\n');
    expect(await stopOrphanedRound(garbage)).toBe(false);
    expect(existsSync(garbage)).toBe(false);
  });
});
