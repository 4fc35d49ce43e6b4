import type { Agent, Task } from '@tinytown/core';
import { useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plural } from '../src/output.js';
import { alive, cliCommand, createTown, ECHO_AGENT, type TestTown, until } from './helpers.js';

const redis = useTestRedis({ flushEachTest: false });
let t: TestTown;

beforeAll(async () => {
  t = await createTown(redis.current.url, { ECHO_AGENT_DELAY_MS: '50' });
  await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
  await t.json('config', 'agent.idle_timeout_secs', '0');
});
afterAll(async () => {
  await t?.cleanup();
});

/** Spawns `name` for one round, gives it a task and waits until it has done it and its process is gone. */
async function oneRound(name: string, description: string): Promise<Task> {
  const { pid } = await t.json<{ agent: Agent; pid: number }>(
    'spawn',
    name,
    '--cli',
    'echo',
    '--max-rounds',
    '1',
  );
  const { task } = await t.json<{ task: Task }>('assign', name, description);
  await until(
    async () =>
      (await t.json<{ agents: Agent[] }>('list')).agents.find((agent) => agent.name === name)?.state ===
      'stopped',
    30_000,
    `${name} stopping`,
  );
  await until(() => !alive(pid), 15_000, `${name}'s process exiting`);
  return task;
}

describe('counts in text output', () => {
  it('plural() puts the noun in the right number', () => {
    expect(plural(1, 'round')).toBe('1 round');
    expect(plural(0, 'round')).toBe('0 rounds');
    expect(plural(2, 'backlog entry', 'backlog entries')).toBe('2 backlog entries');
    expect(plural(1, 'backlog entry', 'backlog entries')).toBe('1 backlog entry');
  });

  it('one of a thing reads as one: 1 round, 1 task, 1 backlog entry', async () => {
    await oneRound('counter', 'count once');
    expect((await t.tt('list')).stdout).toMatch(/1 round, 1 task done/);
    const added = await t.json<{ task: Task }>('backlog', 'add', 'a lone backlog task');
    expect((await t.tt('backlog', 'list')).stdout).toContain('Backlog (1 task):');
    expect((await t.tt('reset')).stdout).toContain('1 agent, 2 tasks, 1 backlog entry,');
    await t.json('backlog', 'remove', added.task.id);
  });
});

describe('tt backlog list', () => {
  it('shows the short ids other listings show; --json keeps the full ones', async () => {
    const { task } = await t.json<{ task: Task }>('backlog', 'add', 'short and sweet', '--tags', 'docs');
    const text = (await t.tt('backlog', 'list')).stdout;
    expect(text).toContain(`  ${task.id.slice(0, 8)} short and sweet [docs]\n`);
    expect(text).not.toContain(task.id);
    expect((await t.json<{ tasks: Task[] }>('backlog', 'list')).tasks.map((listed) => listed.id)).toContain(
      task.id,
    );
    await t.json('backlog', 'remove', task.id);
  });
});

describe('tt reclaim', () => {
  it('with nothing held by stopped agents says so in one line', async () => {
    const { pid } = await t.json<{ agent: Agent; pid: number }>('spawn', 'idle-one', '--cli', 'echo');
    await t.json('kill', 'idle-one');
    await until(() => !alive(pid), 15_000, 'the agent process exiting');
    for (const args of [[], ['--from', 'idle-one'], ['--to-backlog']]) {
      const run = await t.tt('reclaim', ...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^Nothing to reclaim: (no stopped agent|idle-one) holds any messages or tasks\n$/,
      );
    }
    expect(await t.json('reclaim')).toMatchObject({ reclaimed: 0, destination: { kind: 'listed' } });
  });
});
