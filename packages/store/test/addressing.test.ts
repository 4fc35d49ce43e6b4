import { describe, expect, it } from 'vitest';
import { Town } from '../src/index.js';
import { dumpKeys, useTown } from './support.js';

/**
 * Writes addressed by name reuse the id this process resolved before. Another process may prune the
 * agent and register a new one under the same name in between: the write must reach the new agent, or
 * fail cleanly when nobody has the name any more.
 */
describe('writes addressed by agent name', () => {
  const ctx = useTown('addressing');

  async function elsewhere<T>(act: (other: Town) => Promise<T>): Promise<T> {
    const other = await Town.connect({ url: ctx.redis.url, town: 'addressing' });
    try {
      return await act(other);
    } finally {
      await other.close();
    }
  }

  async function replaceAgent(name: string): Promise<string> {
    return elsewhere(async (other) => {
      await other.agents.kill(name);
      await other.agents.prune();
      return (await other.agents.register({ name, cli: 'claude' })).id;
    });
  }

  it('sends to the agent that has the name now, after another process replaced it', async () => {
    const { town } = ctx;
    const first = await town.agents.register({ name: 'reviewer', cli: 'claude' });
    expect((await town.messages.send({ to: 'reviewer', text: 'one' })).to.id).toBe(first.id);
    const second = await replaceAgent('Reviewer');
    const sent = await town.messages.send({ to: 'REVIEWER', text: 'two' });
    expect(sent.to).toEqual({ id: second, name: 'Reviewer' });
    expect(sent.message.to).toBe(second);
    const inbox = await town.messages.peek(second);
    expect(inbox.messages.map((message) => message.id)).toEqual([sent.message.id]);
    // Later sends go straight to the new id.
    expect((await town.messages.send({ to: 'reviewer', text: 'three' })).to.id).toBe(second);
  });

  it('assigns to the agent that has the name now, after another process replaced it', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'builder', cli: 'claude' });
    await town.tasks.assign('builder', 'first');
    const second = await replaceAgent('builder');
    const { task, agent } = await town.tasks.assign('builder', 'second');
    expect(agent.id).toBe(second);
    expect(task.assigned_to).toBe(second);
    expect((await town.tasks.list({ agent: 'builder' })).map((listed) => listed.id)).toEqual([task.id]);
  });

  it('fails with AGENT_NOT_FOUND and writes nothing when the named agent was pruned elsewhere', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'gone', cli: 'claude' });
    await town.messages.send({ to: 'gone', text: 'hello' });
    await town.tasks.assign('gone', 'a task');
    await elsewhere(async (other) => {
      await other.agents.kill('gone');
      await other.agents.prune();
    });
    const before = await dumpKeys(ctx.redis.client);
    await expect(town.messages.send({ to: 'gone', text: 'again' })).rejects.toMatchObject({
      code: 'AGENT_NOT_FOUND',
    });
    await expect(town.tasks.assign('gone', 'another')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
    expect(await dumpKeys(ctx.redis.client)).toEqual(before);
  });
});
