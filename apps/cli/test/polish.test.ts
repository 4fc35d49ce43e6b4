import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent, Task } from '@tinytown/core';
import { useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Spawns `name` for one round, gives it a task (`give`) and waits until it has done it and its process is gone. */
async function oneRound(name: string, give: (agent: string) => Promise<unknown>): Promise<void> {
  const { pid } = await t.json<{ agent: Agent; pid: number }>(
    'spawn',
    name,
    '--cli',
    'echo',
    '--max-rounds',
    '1',
  );
  await give(name);
  await until(
    async () =>
      (await t.json<{ agents: Agent[] }>('list')).agents.find((agent) => agent.name === name)?.state ===
      'stopped',
    30_000,
    `${name} stopping`,
  );
  await until(() => !alive(pid), 15_000, `${name}'s process exiting`);
}

describe('counts in text output', () => {
  it('one of a thing reads as one: 1 round, 1 task, 1 backlog entry', async () => {
    await oneRound('counter', (agent) => t.json('assign', agent, 'count once'));
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

describe('tt plan and tt sync', () => {
  it('show who finished a task whose agent was pruned since, and cancel a backlog task the plan calls failed', async () => {
    const file = join(t.dir, 'tasks.toml');
    const entry = (id: string, status: string) =>
      `[[tasks]]\nid = "${id}"\ndescription = "${id} work"\nstatus = "${status}"\n`;
    writeFileSync(file, `${entry('shipped', 'pending')}${entry('dropped', 'pending')}`);
    expect(await t.json('sync', 'push')).toMatchObject({ created: 2 });
    const plan = await t.json<{ tasks: { id: string; task_id: string }[] }>('plan');
    const taskOf = (id: string) => plan.tasks.find((listed) => listed.id === id)!.task_id;
    let shipper = '';
    await oneRound('shipper', async (agent) => {
      shipper = (await t.json<{ agent: Agent }>('backlog', 'claim', taskOf('shipped'), agent)).agent.id;
    });
    expect((await t.json<{ removed: string[] }>('prune')).removed).toContain('shipper');

    // A backlog task was never worked on: marked failed in the plan, it is cancelled, as a completed one is.
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/(id = "dropped"[^[]*status = )"pending"/, '$1"failed"'),
    );
    expect(await t.json('sync', 'push')).toMatchObject({ updated: 1 });
    expect((await t.json<{ task: Task }>('task', 'show', taskOf('dropped'))).task).toMatchObject({
      state: 'cancelled',
      result: 'Marked failed in the plan',
    });

    await t.json('sync', 'pull');
    const lines = (await t.tt('plan')).stdout.split('\n');
    expect(lines).toContain(`  completed [${shipper.slice(0, 8)}] shipped - shipped work`);
    expect(lines).toContain('  cancelled [unassigned] dropped - dropped work');
  });
});

describe('[agent] keep_round_logs', () => {
  it('is refused unless a whole number of 1 or more, and the runtime keeps that many round logs', async () => {
    const zero = await t.tt('config', 'agent.keep_round_logs', '0');
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/keep_round_logs/);
    await t.json('config', 'agent.keep_round_logs', '1');
    try {
      const { agent, pid } = await t.json<{ agent: Agent; pid: number }>(
        'spawn',
        'keeper',
        '--cli',
        'echo',
        '--max-rounds',
        '2',
      );
      const first = (await t.json<{ task: Task }>('assign', 'keeper', 'first')).task;
      await until(
        async () => (await t.json<{ task: Task }>('task', 'show', first.id)).task.state === 'completed',
        30_000,
        'the first round',
      );
      await t.json('assign', 'keeper', 'second');
      await until(() => !alive(pid), 30_000, "keeper's process exiting after its second round");
      const logs = readdirSync(join(t.dir, '.tt', 'logs', agent.id)).filter((file) =>
        file.startsWith('round-'),
      );
      expect(logs).toEqual([expect.stringMatching(/^round-2-\d+\.log$/)]);
    } finally {
      await t.json('config', 'agent.keep_round_logs', '200');
    }
  });
});
