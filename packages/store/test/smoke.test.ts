import { describe, expect, it } from 'vitest';
import { useTown } from './support.js';

describe('smoke', () => {
  const ctx = useTown();
  it('registers, assigns, completes', async () => {
    const { town } = ctx;
    const agent = await town.agents.register({ name: 'backend', cli: 'claude' });
    expect(agent.state).toBe('starting');
    const { task } = await town.tasks.assign('backend', 'do it');
    expect(task.state).toBe('assigned');
    const round = await town.messages.takeRound(agent.id);
    expect(round).toHaveLength(1);
    await town.tasks.start(task.id);
    const done = await town.tasks.complete(task.id, 'ok');
    expect(done.state).toBe('completed');
    expect((await town.agents.get(agent.id)).tasks_completed).toBe(1);
    await expect(town.tasks.complete(task.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await expect(town.agents.register({ name: 'BACKEND', cli: 'x' })).rejects.toMatchObject({
      code: 'AGENT_EXISTS',
    });
  });
});
