import { itCompilesEveryReadmeExample, readmeConsumer } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';

const readme = readmeConsumer(import.meta.url);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  itCompilesEveryReadmeExample(readme);

  it('optional options take undefined (a value passed through) with exactOptionalPropertyTypes', () => {
    const source = `import { Town } from '@tinytown/store';
export function connect(url: string, env: Record<string, string | undefined>) {
  const leaseMs = env.LEASE_MS === undefined ? undefined : Number(env.LEASE_MS);
  return Town.connect({
    url,
    town: 'my-town',
    connectionName: env.CONNECTION_NAME,
    commandTimeoutMs: undefined,
    onConnectionLost: undefined,
    settings: { leaseMs },
  });
}
`;
    expect(readme.diagnostics(source)).toEqual([]);
  });

  it('the inputs of the operations take undefined for their optional fields too', () => {
    const source = `import type { Town } from '@tinytown/store';
export async function passThrough(town: Town, opt: Record<string, string | undefined>, urgent?: boolean) {
  await town.agents.register({ name: 'backend', cli: 'claude', role: opt.role, parent: opt.parent });
  const { task } = await town.tasks.assign('backend', 'Add validation', { tags: opt.tags, parentId: opt.parent });
  await town.backlog.add('Release notes', { tags: opt.tags });
  await town.messages.send({ to: 'backend', text: 'hi', urgent, from: opt.from });
  await town.tasks.complete(task.id, opt.result, { by: opt.by });
  await town.tasks.list({ agent: opt.agent, state: undefined });
  await town.events.recent({ limit: undefined, agent: opt.agent, mission: opt.mission });
  await town.recovery.reclaim({ to: opt.to, toBacklog: urgent, from: opt.from });
  await town.agents.prune({ all: urgent });
}
`;
    expect(readme.diagnostics(source)).toEqual([]);
  });
});
