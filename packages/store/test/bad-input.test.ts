import { type ErrorCode, isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { dumpKeys, useTown } from './support.js';

describe('bad input gives a typed error and changes nothing', () => {
  const ctx = useTown('strict');
  const unknownId = '4f1c2a7e-0000-4000-8000-000000000000';

  it.each<[string, ErrorCode, (town: typeof ctx.town) => Promise<unknown>]>([
    ['invalid agent name', 'INVALID_NAME', (t) => t.agents.register({ name: 'a b', cli: 'claude' })],
    [
      'name with shell metacharacters',
      'INVALID_NAME',
      (t) => t.agents.register({ name: '$(touch x)', cli: 'claude' }),
    ],
    ['too long name', 'INVALID_NAME', (t) => t.agents.register({ name: 'x'.repeat(65), cli: 'claude' })],
    ['reserved name', 'RESERVED_NAME', (t) => t.agents.register({ name: 'Conductor', cli: 'claude' })],
    [
      'duplicate name, other case',
      'AGENT_EXISTS',
      (t) => t.agents.register({ name: 'ALPHA', cli: 'claude' }),
    ],
    ['empty cli', 'INVALID_INPUT', (t) => t.agents.register({ name: 'beta', cli: ' ' })],
    [
      'unknown parent',
      'AGENT_NOT_FOUND',
      (t) => t.agents.register({ name: 'gamma', cli: 'claude', parent: 'nobody' }),
    ],
    ['assign to unknown agent', 'AGENT_NOT_FOUND', (t) => t.tasks.assign('nobody', 'work')],
    ['assign empty description', 'INVALID_INPUT', (t) => t.tasks.assign('alpha', '   ')],
    ['backlog add empty description', 'INVALID_INPUT', (t) => t.backlog.add('')],
    [
      'claim for unknown agent',
      'AGENT_NOT_FOUND',
      async (t) => t.backlog.claim((await t.backlog.list())[0]!.id, 'nobody'),
    ],
    ['claim unknown task', 'TASK_NOT_FOUND', (t) => t.backlog.claim(unknownId, 'alpha')],
    ['claim non-uuid', 'INVALID_ID', (t) => t.backlog.claim('not-a-uuid', 'alpha')],
    [
      'claim assigned task',
      'NOT_IN_BACKLOG',
      async (t) => t.backlog.claim((await t.tasks.list({ state: 'assigned' }))[0]!.id, 'alpha'),
    ],
    [
      'remove non-backlog task',
      'NOT_IN_BACKLOG',
      async (t) => t.backlog.remove((await t.tasks.list({ state: 'assigned' }))[0]!.id),
    ],
    ['get unknown task', 'TASK_NOT_FOUND', (t) => t.tasks.get(unknownId)],
    ['get non-uuid task', 'INVALID_ID', (t) => t.tasks.get('123')],
    ['complete unknown task', 'TASK_NOT_FOUND', (t) => t.tasks.complete(unknownId)],
    [
      'complete pending task',
      'INVALID_TRANSITION',
      async (t) => t.tasks.complete((await t.backlog.list())[0]!.id),
    ],
    ['fail pending task', 'INVALID_TRANSITION', async (t) => t.tasks.fail((await t.backlog.list())[0]!.id)],
    ['send to unknown agent', 'AGENT_NOT_FOUND', (t) => t.messages.send({ to: 'nobody', text: 'hi' })],
    [
      'send from unknown sender',
      'AGENT_NOT_FOUND',
      (t) => t.messages.send({ to: 'alpha', text: 'hi', from: 'nobody' }),
    ],
    ['send empty text', 'INVALID_INPUT', (t) => t.messages.send({ to: 'alpha', text: '' })],
    ['resume an agent that is not paused', 'INVALID_TRANSITION', (t) => t.agents.resume('alpha')],
    ['restart a live agent', 'INVALID_TRANSITION', (t) => t.agents.restart('alpha')],
    ['kill unknown agent', 'AGENT_NOT_FOUND', (t) => t.agents.kill(unknownId)],
    [
      'reclaim from a live agent',
      'INVALID_TRANSITION',
      (t) => t.recovery.reclaim({ from: 'alpha', toBacklog: true }),
    ],
    ['reclaim to two places', 'INVALID_INPUT', (t) => t.recovery.reclaim({ to: 'alpha', toBacklog: true })],
    ['assign-all to unknown agent', 'AGENT_NOT_FOUND', (t) => t.backlog.assignAll('nobody')],
  ])('%s → %s', async (_label, code, act) => {
    const { town } = ctx;
    await town.agents.register({ name: 'alpha', cli: 'claude' });
    await town.backlog.add('waiting in the backlog');
    await town.tasks.assign('alpha', 'assigned work');
    const before = await dumpKeys(ctx.redis.client);

    const error = await act(town).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(isTinytownError(error), `expected a TinytownError, got ${String(error)}`).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect(await dumpKeys(ctx.redis.client)).toEqual(before);
  });
});
