import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTinytownClient,
  type TinytownClient,
  TinytownNetworkError,
  type TinytownRequestOptions,
  TinytownTimeoutError,
} from '../src/index.js';
import { createTransport } from '../src/transport.js';
import { useTownhall } from './harness.js';

/** What a call settled with (its value or its rejection reason), for `toBe` on the abort reason. */
const settled = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => value,
    (reason: unknown) => reason,
  );

/** The promise's outcome, or `'still pending'` after `ms` (a generous bound, far above a prompt abort). */
async function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still pending'), ms);
  });
  try {
    return await Promise.race([settled(promise), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** A real HTTP server whose behaviour each test scripts; it records what reached it. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void) {
  const requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    for (const waiter of waiters.filter(({ count }) => requests.length >= count)) waiter.resolve();
    waiters = waiters.filter(({ count }) => requests.length < count);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Resolves when the server has received its `count`th request. */
    received: (count: number) =>
      new Promise<void>((resolve) => {
        if (requests.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        waiters = [];
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ID = '9f1c2a7e-0000-4000-8000-000000000000';

/** Every friendly method, called with per-call options. */
const calls: Record<string, (client: TinytownClient, options: TinytownRequestOptions) => Promise<unknown>> = {
  'health.live': (c, o) => c.health.live(o),
  'health.healthz': (c, o) => c.health.healthz(o),
  'health.readyz': (c, o) => c.health.readyz(o),
  'health.ready': (c, o) => c.health.ready(o),
  'health.scaling': (c, o) => c.health.scaling(o),
  'health.metrics': (c, o) => c.health.metrics(o),
  'town.get': (c, o) => c.town.get(o),
  'town.status': (c, o) => c.town.status({ deep: true }, o),
  'agents.list': (c, o) => c.agents.list(o),
  'agents.listIfChanged': (c, o) => c.agents.listIfChanged('W/"1"', o),
  'agents.get': (c, o) => c.agents.get('backend', o),
  'agents.spawn': (c, o) => c.agents.spawn({ name: 'backend' }, o),
  'agents.kill': (c, o) => c.agents.kill('backend', o),
  'agents.restart': (c, o) => c.agents.restart('backend', o),
  'agents.interrupt': (c, o) => c.agents.interrupt('backend', o),
  'agents.resume': (c, o) => c.agents.resume('backend', o),
  'agents.close': (c, o) => c.agents.close('backend', o),
  'agents.prune': (c, o) => c.agents.prune({ all: true }, o),
  'agents.inbox': (c, o) => c.agents.inbox('backend', o),
  'tasks.assign': (c, o) => c.tasks.assign({ agent: 'backend', task: 'x' }, o),
  'tasks.pending': (c, o) => c.tasks.pending(o),
  'tasks.list': (c, o) => c.tasks.list({ agent: 'backend' }, o),
  'tasks.get': (c, o) => c.tasks.get(ID, o),
  'tasks.complete': (c, o) => c.tasks.complete(ID, { result: 'done' }, o),
  'tasks.fail': (c, o) => c.tasks.fail(ID, undefined, o),
  'backlog.list': (c, o) => c.backlog.list(o),
  'backlog.add': (c, o) => c.backlog.add({ description: 'later' }, o),
  'backlog.claim': (c, o) => c.backlog.claim(ID, 'backend', o),
  'backlog.assignAll': (c, o) => c.backlog.assignAll('backend', o),
  'backlog.remove': (c, o) => c.backlog.remove(ID, o),
  'messages.send': (c, o) => c.messages.send({ to: 'backend', message: 'hi' }, o),
  'recovery.recover': (c, o) => c.recovery.recover(o),
  'recovery.reclaim': (c, o) => c.recovery.reclaim({ to_backlog: true }, o),
  'recovery.orphanTasks': (c, o) => c.recovery.orphanTasks(undefined, o),
  'events.list': (c, o) => c.events.list({ limit: 5 }, o),
  'missions.list': (c, o) => c.missions.list(undefined, o),
  'missions.start': (c, o) =>
    c.missions.start({ objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: 1 }] }, o),
  'missions.get': (c, o) => c.missions.get(ID, { include_work: true }, o),
  'missions.delete': (c, o) => c.missions.delete(ID, undefined, o),
  'missions.resume': (c, o) => c.missions.resume(ID, o),
  'missions.stop': (c, o) => c.missions.stop(ID, undefined, o),
  'missions.complete': (c, o) => c.missions.complete(ID, o),
  'missions.fail': (c, o) => c.missions.fail(ID, { reason: 'no' }, o),
  'missions.notes': (c, o) => c.missions.notes(ID, o),
  'missions.addNote': (c, o) => c.missions.addNote(ID, { body: 'note' }, o),
  'missions.workItems': (c, o) => c.missions.workItems(ID, undefined, o),
  'missions.workItem': (c, o) => c.missions.workItem(ID, ID, o),
  'missions.updateWorkItem': (c, o) => c.missions.updateWorkItem(ID, ID, { status: 'done' }, o),
  'missions.watches': (c, o) => c.missions.watches(ID, undefined, o),
  'missions.snoozeWatch': (c, o) => c.missions.snoozeWatch(ID, ID, { duration_secs: 300 }, o),
  'missions.events': (c, o) => c.missions.events(ID, { limit: 5 }, o),
};

/** `group.method` of every friendly method the client has (everything but `raw`). */
function friendlyMethods(client: TinytownClient): string[] {
  return Object.entries(client)
    .filter(([group]) => group !== 'raw')
    .flatMap(([group, methods]) =>
      Object.entries(methods as Record<string, unknown>)
        .filter(([, method]) => typeof method === 'function')
        .map(([name]) => `${group}.${name}`),
    )
    .sort();
}

describe('per-call signal, against a real townhall and Redis', () => {
  const hall = useTownhall();

  it('an aborted signal rejects with its AbortError and sends nothing (no message, agent, task); a live one changes nothing', async () => {
    const client = createTinytownClient({ baseUrl: hall.baseUrl });
    await client.agents.spawn({ name: 'backend' });
    const controller = new AbortController();
    controller.abort();
    const { signal } = controller;

    const error = await settled(client.messages.send({ to: 'backend', message: 'hello' }, { signal }));
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error).toBe(signal.reason);
    expect(await settled(client.agents.spawn({ name: 'ghost' }, { signal }))).toBe(signal.reason);
    expect(await settled(client.tasks.assign({ agent: 'backend', task: 'x' }, { signal }))).toBe(
      signal.reason,
    );

    expect(await client.agents.inbox('backend')).toMatchObject({ agent: 'backend', total: 0 });
    expect((await client.agents.list()).agents?.map((agent) => agent.name)).toEqual(['backend']);
    expect((await client.tasks.list()).count).toBe(0);

    // A signal that does not abort changes nothing, and the other per-call arguments still apply.
    const live = new AbortController().signal;
    expect(await client.messages.send({ to: 'backend', message: 'hello' }, { signal: live })).toMatchObject({
      message_id: expect.any(String),
    });
    expect(await client.agents.inbox('backend', { signal: live })).toMatchObject({ total: 1 });
    expect(await client.tasks.list({ agent: 'backend' }, { signal: live })).toMatchObject({ count: 0 });
    const first = await client.agents.listIfChanged(undefined, { signal: live });
    expect(first?.etag).toMatch(/^W\//);
    expect(await client.agents.listIfChanged(first?.etag ?? undefined, { signal: live })).toBeNull();
  });
});

describe('per-call signal, over HTTP', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** A server that never answers: every call stays in flight until something aborts it. */
  async function hanging() {
    const server = await serve(() => {
      /* never answers */
    });
    cleanups.push(server.close);
    return server;
  }

  it('every friendly method with an already aborted signal rejects with its reason and never calls fetch', async () => {
    const server = await hanging();
    let fetched = 0;
    const client = createTinytownClient({
      baseUrl: server.url,
      timeoutMs: 10_000,
      fetch: (input, init) => {
        fetched += 1;
        return fetch(input, init);
      },
    });
    // The sweep covers every friendly method the client has.
    expect(Object.keys(calls).sort()).toEqual(friendlyMethods(client));
    for (const [name, call] of Object.entries(calls)) {
      const reason = new Error(`cancelled ${name}`);
      const controller = new AbortController();
      controller.abort(reason);
      expect(await within(call(client, { signal: controller.signal }), 20_000), name).toBe(reason);
    }
    expect(fetched).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it('every friendly method aborted while its request is in flight rejects with the abort reason', async () => {
    const server = await hanging();
    // The client's own timeout is far away; only the caller's signal can end these calls.
    const client = createTinytownClient({ baseUrl: server.url, timeoutMs: 25_000 });
    let sent = 0;
    for (const [name, call] of Object.entries(calls)) {
      const controller = new AbortController();
      const pending = call(client, { signal: controller.signal });
      sent += 1;
      await server.received(sent);
      controller.abort();
      const error = await within(pending, 20_000);
      expect(error, name).toBe(controller.signal.reason);
      expect(error, name).toMatchObject({ name: 'AbortError' });
    }
    // One request each: an aborted GET is not tried again.
    expect(server.requests).toHaveLength(Object.keys(calls).length);
  });

  it('a poll aborted in flight keeps its etag header and rejects with the reason given', async () => {
    const server = await hanging();
    const client = createTinytownClient({ baseUrl: server.url, timeoutMs: 25_000 });
    const controller = new AbortController();
    const poll = client.agents.listIfChanged('W/"7"', { signal: controller.signal });
    await server.received(1);
    const reason = new Error('poller stopped');
    controller.abort(reason);
    expect(await within(poll, 20_000)).toBe(reason);
    expect(server.requests[0]?.headers['if-none-match']).toBe('W/"7"');
  });

  it("a caller's AbortSignal.timeout rejects with its TimeoutError; the client's timeoutMs still applies", async () => {
    const server = await hanging();
    const patient = createTinytownClient({ baseUrl: server.url, timeoutMs: 25_000, getAttempts: 1 });
    const error = await within(patient.agents.list({ signal: AbortSignal.timeout(100) }), 20_000);
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({ name: 'TimeoutError' });

    const hasty = createTinytownClient({ baseUrl: server.url, timeoutMs: 100, getAttempts: 1 });
    const { signal } = new AbortController();
    await expect(hasty.agents.list({ signal })).rejects.toBeInstanceOf(TinytownTimeoutError);
  });

  it('a GET whose connection drops as the caller aborts is not retried', async () => {
    const controller = new AbortController();
    const server = await serve((req) => {
      // The connection drops (a retryable failure), and the caller gives up meanwhile.
      req.socket.destroy();
      controller.abort();
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, getAttempts: 5 });
    const error = await within(client.tasks.list(undefined, { signal: controller.signal }), 20_000);
    expect(error).toBe(controller.signal.reason);
    expect(error).not.toBeInstanceOf(TinytownNetworkError);
    // Give a wrongly scheduled retry (back-off 100 ms) the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.requests).toHaveLength(1);
  });

  it('aborting during the back-off between GET attempts wakes it: rejects at once, no further attempt', async () => {
    const server = await serve((req) => req.socket.destroy());
    cleanups.push(server.close);
    let failed: () => void = () => {};
    const firstFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const transport = createTransport({
      fetch: async (input, init) => {
        try {
          return await fetch(input, init);
        } catch (error) {
          failed();
          throw error;
        }
      },
      timeoutMs: 25_000,
      getAttempts: 5,
      // A back-off far longer than the test may run: only the abort can end it.
      retryDelayMs: 60_000,
    });
    const controller = new AbortController();
    const pending = transport(`${server.url}/v1/agents`, { signal: controller.signal });
    await firstFailure;
    // Let the transport see the failure and start its back-off.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const reason = new Error('cancelled during back-off');
    controller.abort(reason);
    expect(await within(pending, 20_000)).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });
});
