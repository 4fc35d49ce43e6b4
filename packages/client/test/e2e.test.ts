import { describe, expect, it } from 'vitest';
import { createTinytownClient, TinytownApiError } from '../src/index.js';
import { useTownhall } from './harness.js';

async function apiError(promise: Promise<unknown>): Promise<TinytownApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TinytownApiError);
  return error as TinytownApiError;
}

const UNKNOWN_TASK = '9f1c2a7e-0000-4000-8000-000000000000';

describe('every contract operation through the SDK, against a real townhall and Redis', () => {
  const hall = useTownhall();

  it('probes and town', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    expect(await client.health.live()).toMatchObject({ status: 'ok' });
    expect(await client.health.ready()).toMatchObject({ status: 'ready', redis: 'connected' });
    expect(await client.health.scaling()).toMatchObject({ scaling_recommendation: expect.any(String) });
    expect(await client.health.metrics()).toContain('tinytown_');
    expect(await client.town.get()).toMatchObject({ name: 'sdk', root: '/srv/sdk' });
    expect(await client.town.status()).toMatchObject({ name: 'sdk', agent_count: 0, agents: [] });
  });

  it('agents: spawn, list, inbox, kill, restart, prune — friendly and raw', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    const spawned = await client.agents.spawn({ name: 'backend', cli: 'claude' });
    expect(spawned).toMatchObject({ name: 'backend', cli: 'claude', agent_id: expect.any(String) });
    const raw = await client.raw.POST('/v1/agents', { body: { name: 'frontend' } });
    expect(raw.response.status).toBe(201);
    expect(raw.data?.name).toBe('frontend');

    const list = await client.agents.list();
    expect(list.count).toBe(2);
    expect(list.agents?.map((agent) => [agent.name, agent.state])).toEqual([
      ['backend', 'Starting'],
      ['frontend', 'Starting'],
    ]);
    const { data: rawList } = await client.raw.GET('/v1/agents');
    expect(rawList?.count).toBe(2);

    await client.messages.send({ to: 'backend', message: 'hello', kind: 'query' });
    expect(await client.agents.inbox('backend')).toMatchObject({ agent: 'backend', total: 1 });
    const { data: posted } = await client.raw.POST('/v1/agents/{agent}/inbox', {
      params: { path: { agent: 'backend' } },
    });
    expect(posted?.total).toBe(1);

    expect(await client.agents.kill('backend')).toMatchObject({ agent: 'backend' });
    expect(await client.agents.restart('backend')).toMatchObject({ agent: 'backend' });
    await client.agents.kill('frontend');
    expect(await client.agents.prune({ all: false })).toMatchObject({ removed: 1, agents: ['frontend'] });
  });

  it('agents.listIfChanged answers a poller with null while the listing is unchanged', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    await client.agents.spawn({ name: 'watched' });
    const first = await client.agents.listIfChanged();
    expect(first?.etag).toMatch(/^W\/"/);
    expect(first?.value.agents?.map((agent) => agent.name)).toContain('watched');
    expect(await client.agents.listIfChanged(first?.etag ?? undefined)).toBeNull();
    await client.messages.send({ to: 'watched', message: 'ping' });
    const changed = await client.agents.listIfChanged(first?.etag ?? undefined);
    expect(changed?.etag).not.toBe(first?.etag);
    expect(changed?.value.agents?.find((agent) => agent.name === 'watched')?.inbox_len).toBe(1);
  });

  it('tasks, backlog and messages', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    const worker = await client.agents.spawn({ name: 'worker' });
    const assigned = await client.tasks.assign({ agent: 'worker', task: 'write docs' });
    expect(assigned).toMatchObject({ agent_name: 'worker', task_id: expect.any(String) });
    const pending = await client.tasks.pending();
    expect(pending.tasks?.map((task) => task.task_id)).toContain(assigned.task_id);

    const added = await client.backlog.add({ description: 'later', tags: ['docs'] });
    const second = await client.raw.POST('/v1/backlog', { body: { description: 'even later' } });
    expect((await client.backlog.list()).count).toBe(2);
    expect(await client.backlog.claim(added.task_id!, 'worker')).toMatchObject({
      task_id: added.task_id,
      agent_name: 'worker',
    });
    expect(await client.backlog.remove(second.data!.task_id!)).toMatchObject({ removed: true });
    await client.backlog.add({ description: 'for everyone' });
    expect(await client.backlog.assignAll('worker')).toMatchObject({ assigned: 1 });

    const sent = await client.messages.send({ to: 'worker', message: 'ping', kind: 'info', urgent: true });
    expect(sent).toMatchObject({ to_agent: worker.agent_id, urgent: true, message_id: expect.any(String) });
  });

  it('recovery and reclaim', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    await client.agents.spawn({ name: 'gone' });
    await client.tasks.assign({ agent: 'gone', task: 'unfinished' });
    await client.agents.kill('gone');
    expect(await client.recovery.recover()).toMatchObject({ checked: expect.any(Number), recovered: 0 });
    const listed = await client.recovery.reclaim();
    expect(listed.reclaimed).toBe(1);
    expect((await client.backlog.list()).count).toBe(0);
    expect(await client.recovery.reclaim({ to_backlog: true })).toMatchObject({ reclaimed: 1 });
    expect((await client.backlog.list()).count).toBe(1);
  });

  it('errors surface as TinytownApiError with the stable code: 404, 409, 400', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    const notFound = await apiError(client.agents.kill('nobody'));
    expect(notFound).toMatchObject({ status: 404, code: 'AGENT_NOT_FOUND' });
    expect(notFound.detail).toContain('nobody');

    await client.agents.spawn({ name: 'dup' });
    expect(await apiError(client.agents.spawn({ name: 'DUP' }))).toMatchObject({
      status: 409,
      code: 'AGENT_EXISTS',
    });
    const task = await client.tasks.assign({ agent: 'dup', task: 'x' });
    expect(await apiError(client.backlog.claim(task.task_id!, 'dup'))).toMatchObject({
      status: 409,
      code: 'NOT_IN_BACKLOG',
    });
    expect(await apiError(client.backlog.claim(UNKNOWN_TASK, 'dup'))).toMatchObject({ status: 404 });
    expect(await apiError(client.agents.spawn({ name: 'bad name' }))).toMatchObject({
      status: 400,
      code: 'INVALID_NAME',
    });
    expect(await apiError(client.backlog.remove('not-a-uuid'))).toMatchObject({ status: 400 });
    // The raw client throws the same errors.
    expect(
      await apiError(client.raw.POST('/v1/agents/{agent}/kill', { params: { path: { agent: 'nobody' } } })),
    ).toMatchObject({
      status: 404,
      code: 'AGENT_NOT_FOUND',
    });
  });
});

describe('auth through the SDK', () => {
  const hall = useTownhall({
    keys: [
      { key: 'tt_reader_key_0123456789', scopes: ['town.read'] },
      { key: 'tt_admin_key_0123456789', scopes: ['admin'] },
    ],
  });

  it('401 without a key, 403 with a key that lacks the scope, 2xx with the right one', async () => {
    const anonymous = createTinytownClient({ baseUrl: hall.baseUrl });
    expect(await apiError(anonymous.agents.list())).toMatchObject({ status: 401 });
    expect(await anonymous.health.live()).toMatchObject({ status: 'ok' });

    const reader = createTinytownClient({ baseUrl: hall.baseUrl, apiKey: 'tt_reader_key_0123456789' });
    expect((await reader.agents.list()).count).toBe(0);
    const forbidden = await apiError(reader.agents.spawn({ name: 'x' }));
    expect(forbidden.status).toBe(403);

    const admin = createTinytownClient({ baseUrl: hall.baseUrl, apiKey: 'tt_admin_key_0123456789' });
    expect(await admin.agents.spawn({ name: 'x' })).toMatchObject({ name: 'x' });
  });
});

describe('rate limits through the SDK', () => {
  const hall = useTownhall({ rateLimits: { read: 2 } });

  it('429 RATE_LIMITED carries how long to wait (Retry-After)', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    await client.agents.list();
    await client.agents.list();
    const limited = await apiError(client.agents.list());
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(limited.retryAfterSecs).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfterSecs).toBeLessThanOrEqual(60);
  });
});
