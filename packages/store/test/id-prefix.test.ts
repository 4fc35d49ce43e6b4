import { isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { item, mission } from './mission-fixtures.js';
import { useTown } from './support.js';

const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('ids from their first characters', () => {
  const ctx = useTown('prefix');

  it('finds the one task an id start names, and passes full ids through', async () => {
    const { town } = ctx;
    const task = await town.backlog.add('find me');
    expect(await town.tasks.resolveId(task.id.slice(0, 8))).toBe(task.id);
    expect(await town.tasks.resolveId(` ${task.id.slice(0, 4).toUpperCase()} `)).toBe(task.id);
    expect(await town.tasks.resolveId(task.id.toUpperCase())).toBe(task.id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await town.tasks.resolveId(unknown)).toBe(unknown);
  });

  it('refuses an id start that is too short, not hex, unknown or ambiguous', async () => {
    const { town } = ctx;
    const somebody = await town.backlog.add('somebody');
    const tooShort = await reason(town.tasks.resolveId('abc'));
    expect(isTinytownError(tooShort, 'INVALID_ID')).toBe(true);
    expect(isTinytownError(await reason(town.tasks.resolveId('zzzz1234')), 'INVALID_ID')).toBe(true);

    // Two ids with the same start, put straight into the index: ids are random, so make the clash.
    const a = 'abcd0000-0000-4000-8000-000000000001';
    const b = 'abcd1111-0000-4000-8000-000000000002';
    await ctx.redis.client.sadd(town.context.keys.tasks, a, b);
    const ambiguous = await reason(town.tasks.resolveId('abcd'));
    expect(isTinytownError(ambiguous, 'AMBIGUOUS_REF')).toBe(true);
    expect((ambiguous as Error).message).toContain(a);
    expect((ambiguous as Error).message).toContain(b);
    expect(await town.tasks.resolveId('abcd1')).toBe(b);
    const missing = await reason(town.tasks.resolveId(somebody.id.startsWith('ffff') ? '0000' : 'ffff'));
    expect(isTinytownError(missing, 'TASK_NOT_FOUND')).toBe(true);
  });

  it('does the same for missions', async () => {
    const { town } = ctx;
    const m = mission();
    await town.missions.create(m, []);
    expect(await town.missions.resolveId(m.id.slice(0, 8))).toBe(m.id);
    const missing = await reason(town.missions.resolveId(m.id.startsWith('f') ? '0000' : 'ffff'));
    expect(isTinytownError(missing, 'MISSION_NOT_FOUND')).toBe(true);
  });

  it('and for a mission’s work items, among that mission’s items only', async () => {
    const { town } = ctx;
    const m = mission();
    const other = mission();
    const a = item(m.id, 0, { id: 'beef0000-0000-4000-8000-000000000001' });
    const b = item(m.id, 1, { id: 'beef1111-0000-4000-8000-000000000002' });
    const elsewhere = item(other.id, 0, { id: 'cafe0000-0000-4000-8000-000000000003' });
    await town.missions.create(m, [a, b]);
    await town.missions.create(other, [elsewhere]);
    expect(await town.missions.resolveWorkItemId(m.id, 'beef1')).toBe(b.id);
    expect(await town.missions.resolveWorkItemId(m.id, a.id.toUpperCase())).toBe(a.id);
    const ambiguous = await reason(town.missions.resolveWorkItemId(m.id, 'beef'));
    expect(isTinytownError(ambiguous, 'AMBIGUOUS_REF')).toBe(true);
    expect((ambiguous as Error).message).toBe(`work_item_id 'beef' matches more than one: ${a.id}, ${b.id}`);
    const foreign = await reason(town.missions.resolveWorkItemId(m.id, 'cafe'));
    expect(isTinytownError(foreign, 'WORK_ITEM_NOT_FOUND')).toBe(true);
    expect((foreign as Error).message).toBe('Work item not found: cafe');
    expect(isTinytownError(await reason(town.missions.resolveWorkItemId(m.id, 'be')), 'INVALID_ID')).toBe(
      true,
    );
  });
});
