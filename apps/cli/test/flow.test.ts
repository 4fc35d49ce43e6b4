import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent, Task } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { useTestRedis } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentPids,
  alive,
  cliCommand,
  createTown,
  ECHO_AGENT,
  SLOW_AGENT,
  type TestTown,
  until,
} from './helpers.js';

const redis = useTestRedis({ flushEachTest: false });
const towns: TestTown[] = [];
afterEach(async () => {
  for (const town of towns.splice(0)) await town.cleanup();
});

interface StatusDoc {
  agents: (Agent & { inbox_len: number; pending: Record<string, number>; running_tasks: Task[] })[];
  tasks: Record<string, number>;
}

async function town(
  settings: Record<string, string> = {},
  clis: Record<string, string> = {},
): Promise<TestTown> {
  const t = await createTown(redis.current.url, { ECHO_AGENT_DELAY_MS: '50' });
  towns.push(t);
  await t.json('config', 'agent_clis.echo', JSON.stringify({ command: cliCommand(ECHO_AGENT) }));
  for (const [name, command] of Object.entries(clis)) {
    await t.json('config', `agent_clis.${name}`, JSON.stringify({ command }));
  }
  for (const [key, value] of Object.entries(settings)) await t.json('config', key, value);
  return t;
}

/**
 * A town whose `slow` CLI sleeps `ms` per round and writes its pid to the returned `started` file as
 * its round begins.
 */
async function slowAgentTown(
  settings: Record<string, string>,
  ms: number,
): Promise<{ t: TestTown; started: string }> {
  const t = await town(settings, { slow: cliCommand(SLOW_AGENT) });
  const started = join(t.dir, 'started');
  t.env.SLOW_AGENT_STARTED_FILE = started;
  t.env.SLOW_AGENT_MS = String(ms);
  return { t, started };
}

describe('tt: a scripted agent does real work', () => {
  it('init → spawn → assign → the agent completes the task → status shows it and the counters moved', async () => {
    const t = await town({ 'agent.idle_timeout_secs': '0' });
    const spawned = await t.json<{ agent: Agent; pid: number; log: string }>(
      'spawn',
      'alice',
      '--cli',
      'echo',
    );
    expect(spawned.agent).toMatchObject({ name: 'alice', cli: 'echo', state: 'starting' });
    expect(alive(spawned.pid)).toBe(true);

    const assigned = await t.json<{ task: Task }>(
      'assign',
      'alice',
      'Write the changelog\nwith every release since 0.1',
    );
    const done = await until(
      async () => {
        const doc = await t.json<{ task: Task }>('task', 'show', assigned.task.id);
        return doc.task.state === 'completed' ? doc.task : undefined;
      },
      30_000,
      'task completion',
    );
    expect(done.result).toContain('alice wrote work/');
    expect(readFileSync(join(t.dir, 'work', `${done.id}.md`), 'utf8')).toContain(
      'with every release since 0.1',
    );

    const status = await until(async () => {
      const doc = await t.json<StatusDoc>('status');
      const alice = doc.agents.find((agent) => agent.name === 'alice');
      return alice && alice.rounds_completed >= 1 ? doc : undefined;
    });
    const alice = status.agents.find((agent) => agent.name === 'alice');
    expect(alice).toMatchObject({ tasks_completed: 1, inbox_len: 0 });
    expect(alice?.rounds_completed).toBeGreaterThanOrEqual(1);
    expect(status.tasks).toMatchObject({ total: 1, completed: 1, in_flight: 0 });
    const deep = await t.json<{ agents: { name: string; last_round: { tail: string[] } | null }[] }>(
      'status',
      '--deep',
    );
    expect(deep.agents.find((agent) => agent.name === 'alice')?.last_round?.tail.join('\n')).toContain(
      'alice: completed',
    );
    // The text shows the same tail, and where the whole log is.
    const deepText = (await t.tt('status', '--deep')).stdout;
    expect(deepText).toMatch(/last round: .*\/round-1-\d+\.log/);
    expect(deepText).toMatch(/│ alice: completed/);

    await t.json('kill', 'alice');
    await until(() => !alive(spawned.pid), 15_000, 'agent process exit');
    const waited = await t.json<{ agent: Agent; timed_out: boolean }>('wait', 'alice', '--timeout', '5');
    expect(waited).toMatchObject({ timed_out: false, agent: { state: 'stopped' } });
    const logs = readdirSync(join(t.dir, '.tt', 'logs', spawned.agent.id));
    expect(logs.some((file) => file.startsWith('round-'))).toBe(true);
  });

  it('never executes shell metacharacters in names or task text', async () => {
    const t = await town({ 'agent.idle_timeout_secs': '0' });
    const marker = join(t.dir, 'pwned');
    const bad = await t.tt('spawn', `$(touch ${marker})`, '--cli', 'echo');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const bad2 = await t.tt('spawn', "x'; rm -rf ~; echo '", '--cli', 'echo');
    expect(bad2.code).not.toBe(0);

    await t.json('spawn', 'bob', '--cli', 'echo');
    const text = `Fix it $(touch ${marker}) \`touch ${marker}\` '; rm -rf ${t.dir}/work; echo ' && touch ${marker}`;
    const { task } = await t.json<{ task: Task }>('assign', 'bob', text);
    const done = await until(async () => {
      const doc = await t.json<{ task: Task }>('task', 'show', task.id);
      return doc.task.state === 'completed' ? doc.task : undefined;
    }, 30_000);
    expect(existsSync(marker)).toBe(false);
    expect(done.description).toBe(text);
    expect(readFileSync(join(t.dir, 'work', `${task.id}.md`), 'utf8')).toContain(text);
    const sent = await t.json<{ message: { description: string } }>(
      'send',
      'bob',
      `hello $(touch ${marker})`,
    );
    expect(sent.message.description).toBe(`hello $(touch ${marker})`);
    expect(existsSync(marker)).toBe(false);
  });

  it('kill -9 of the loop mid-round: after the lease lapses tt recover stops the orphaned CLI and returns the work, and reclaim moves it on', async () => {
    const { t, started } = await slowAgentTown(
      { 'agent.lease_secs': '1', 'agent.idle_timeout_secs': '0' },
      30_000,
    );
    const grandchildFile = join(t.dir, 'grandchild');
    t.env.SLOW_AGENT_PID_FILE = grandchildFile;
    const { agent, pid } = await t.json<{ agent: Agent; pid: number }>('spawn', 'victim', '--cli', 'slow');
    const { task } = await t.json<{ task: Task }>('assign', 'victim', 'A job that will be interrupted');
    await until(() => existsSync(started), 20_000, 'the round to start');
    expect((await t.json<{ task: Task }>('task', 'show', task.id)).task.state).toBe('running');

    // Only the loop dies; the CLI it ran leads its own process group, so it and its children live on.
    const cli = Number(readFileSync(started, 'utf8'));
    const grandchild = Number(readFileSync(grandchildFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until(() => !alive(pid), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(alive(cli) && alive(grandchild)).toBe(true);

    const recovered = await t.json<{
      recovered: Agent[];
      messages_returned: number;
      tasks_requeued: number;
      orphaned_rounds_stopped: number;
    }>('recover');
    expect(alive(cli) || alive(grandchild)).toBe(false);
    expect(recovered.orphaned_rounds_stopped).toBe(1);
    expect(recovered.recovered.map((a) => a.name)).toEqual(['victim']);
    expect(recovered).toMatchObject({ messages_returned: 1, tasks_requeued: 1 });
    expect((await t.json<{ task: Task }>('task', 'show', task.id)).task).toMatchObject({
      state: 'assigned',
      assigned_to: agent.id,
    });
    const inbox = await t.json<{ total: number; inflight: number }>('inbox', 'victim');
    expect(inbox).toMatchObject({ total: 1, inflight: 0 });

    const listed = await t.json<{ reclaimed: number; destination: { kind: string } }>('reclaim');
    expect(listed.destination.kind).toBe('listed');
    expect((await t.json<{ total: number }>('inbox', 'victim')).total).toBe(1);
    const moved = await t.json<{ destination: { kind: string } }>('reclaim', '--to-backlog');
    expect(moved.destination.kind).toBe('backlog');
    const backlog = await t.json<{ tasks: Task[] }>('backlog', 'list');
    expect(backlog.tasks.map((b) => b.id)).toEqual([task.id]);
  });

  it('tt stop ends every agent and its round, and leaves the town running', async () => {
    const { t, started } = await slowAgentTown({ 'agent.idle_timeout_secs': '0' }, 30_000);
    const { pid } = await t.json<{ pid: number }>('spawn', 'busy', '--cli', 'slow');
    await t.json('spawn', 'idler', '--cli', 'slow');
    const { task } = await t.json<{ task: Task }>('assign', 'busy', 'A job stopped halfway');
    await until(() => existsSync(started), 20_000, 'the round to start');
    const cli = Number(readFileSync(started, 'utf8'));

    const stopped = await t.json<{ agents_stopped: number; processes_stopped: number }>('stop');
    expect(stopped).toMatchObject({ agents_stopped: 2, processes_stopped: 2 });
    expect(alive(pid) || alive(cli)).toBe(false);
    const { agents } = await t.json<{ agents: Agent[] }>('list');
    expect(agents.map((agent) => agent.state)).toEqual(['stopped', 'stopped']);
    expect((await t.json<{ task: Task }>('task', 'show', task.id)).task.state).toBe('assigned');
  });

  it('tt kill ends the round a dead loop left running', async () => {
    const { t, started } = await slowAgentTown({ 'agent.idle_timeout_secs': '0' }, 30_000);
    const { pid } = await t.json<{ pid: number }>('spawn', 'stray', '--cli', 'slow');
    await t.json('assign', 'stray', 'A job whose loop will vanish');
    await until(() => existsSync(started), 20_000, 'the round to start');
    const cli = Number(readFileSync(started, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until(() => !alive(pid), 5_000);
    expect(alive(cli)).toBe(true);

    const killed = await t.json<{ signalled: boolean }>('kill', 'stray');
    expect(killed.signalled).toBe(true);
    expect(alive(cli)).toBe(false);
  });

  it('an agent the reaper stopped elsewhere: tt kill and tt recover still end the round its dead loop left here', async () => {
    const t = await town(
      { 'agent.lease_secs': '1', 'agent.idle_timeout_secs': '0' },
      { slow: cliCommand(SLOW_AGENT) },
    );
    t.env.SLOW_AGENT_MS = '30000';
    const orphanedRound = async (name: string) => {
      const { agent, pid } = await t.json<{ agent: Agent; pid: number }>('spawn', name, '--cli', 'slow');
      await t.json('assign', name, `A job for ${name}`);
      const roundPid = join(t.dir, '.tt', 'logs', agent.id, 'round.pid');
      await until(() => existsSync(roundPid), 20_000, `${name}'s round to start`);
      const cli = Number.parseInt(readFileSync(roundPid, 'utf8'), 10);
      process.kill(pid, 'SIGKILL');
      await until(() => !alive(pid), 5_000);
      return cli;
    };
    const killed = await orphanedRound('killed');
    const recovered = await orphanedRound('recovered');
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // The worker's reaper, on another machine, recovers both: it cannot reach their rounds here.
    const reaper = await Town.connect({ url: redis.current.url, town: t.name });
    try {
      const reaped = await reaper.recovery.recover();
      expect(reaped.recovered.map((agent) => agent.name).sort()).toEqual(['killed', 'recovered']);
    } finally {
      await reaper.close();
    }
    expect(alive(killed) && alive(recovered)).toBe(true);

    const kill = await t.json<{ agent: Agent; previous_state: string; signalled: boolean }>('kill', 'killed');
    expect(kill).toMatchObject({ agent: { state: 'stopped' }, previous_state: 'stopped', signalled: true });
    await until(() => !alive(killed), 10_000, 'the killed agent’s round to end');
    expect(alive(recovered)).toBe(true);

    const recover = await t.json<{ recovered: Agent[]; orphaned_rounds_stopped: number }>('recover');
    expect(recover).toMatchObject({ recovered: [], orphaned_rounds_stopped: 1 });
    await until(() => !alive(recovered), 10_000, 'the recovered agent’s round to end');
    // Nothing is left to stop: both commands run again harmlessly.
    expect(await t.json('kill', 'killed')).toMatchObject({ signalled: false });
    expect(await t.json('recover')).toMatchObject({ orphaned_rounds_stopped: 0 });
  });

  it('keeps a round longer than the lease alive, and kills a round past its timeout with its children', async () => {
    const { t, started } = await slowAgentTown(
      { 'agent.lease_secs': '1', 'agent.idle_timeout_secs': '0' },
      3500,
    );
    const { agent } = await t.json<{ agent: Agent }>(
      'spawn',
      'marathon',
      '--cli',
      'slow',
      '--max-rounds',
      '1',
    );
    const { task } = await t.json<{ task: Task }>('assign', 'marathon', 'Takes longer than the lease');
    await until(() => existsSync(started), 20_000);
    for (let i = 0; i < 6; i += 1) {
      const recovered = await t.json<{ recovered: Agent[] }>('recover');
      expect(recovered.recovered).toHaveLength(0);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await until(
      async () => (await t.json<{ task: Task }>('task', 'show', task.id)).task.state === 'completed',
      20_000,
    );
    await t.json('wait', 'marathon', '--timeout', '20');
    expect((await t.json<{ agents: Agent[] }>('list')).agents.find((a) => a.id === agent.id)?.state).toBe(
      'stopped',
    );

    // Now a round that outlives round_timeout_secs, with a grandchild.
    await t.json('config', 'agent.round_timeout_secs', '1');
    const grandchildFile = join(t.dir, 'grandchild.pid');
    t.env.SLOW_AGENT_PID_FILE = grandchildFile;
    t.env.SLOW_AGENT_MS = '30000';
    const hung = await t.json<{ agent: Agent; pid: number }>(
      'spawn',
      'hung',
      '--cli',
      'slow',
      '--max-rounds',
      '1',
    );
    const job = await t.json<{ task: Task }>('assign', 'hung', 'Never finishes');
    const grandchild = await until(
      () => existsSync(grandchildFile) && Number(readFileSync(grandchildFile, 'utf8')),
      20_000,
    );
    await until(() => !alive(hung.pid), 20_000, 'the loop to end after the timed-out round');
    expect(alive(grandchild)).toBe(false);
    expect((await t.json<{ task: Task }>('task', 'show', job.task.id)).task.state).toBe('assigned');
    expect((await t.json<{ total: number }>('inbox', 'hung')).total).toBe(1);
    expect(agentPids(t.dir).filter(alive)).toHaveLength(0);
  });
});
