import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTinytownClient, TinytownApiError } from '../src/index.js';
import { useTownhall } from './harness.js';

const SEED = new URL('../../../../shared/seed/townhall-v1.yaml', import.meta.url);

/** operationId of every operation in the seed contract (a line scan is enough for this file's layout). */
async function seedOperationIds(): Promise<string[]> {
  const text = await readFile(SEED, 'utf8');
  return [...text.matchAll(/^\s+operationId:\s*(\S+)\s*$/gm)].map((match) => match[1]!);
}

/** Maps a concrete request to the operationId of the served document's matching path template. */
async function operationMatcher(baseUrl: string) {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  const routes = Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      operationId: operation.operationId,
    })),
  );
  return (method: string, url: string) => {
    const path = new URL(url).pathname;
    // Literal paths (/v1/agents/prune) win over templated ones (/v1/agents/{agent}/…).
    const candidates = routes.filter((route) => route.method === method && route.pattern.test(path));
    candidates.sort(
      (a, b) => a.pattern.source.split('[^/]+').length - b.pattern.source.split('[^/]+').length,
    );
    return candidates[0]?.operationId;
  };
}

describe('every seed operation through the raw typed client', () => {
  const hall = useTownhall();

  it('is reachable and answers 2xx (or its documented problem) through client.raw', async () => {
    const match = await operationMatcher(hall.baseUrl);
    const hits = new Set<string>();
    const client = createTinytownClient({
      baseUrl: hall.baseUrl,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const operation = match(request.method, request.url);
        if (operation) hits.add(operation);
        return fetch(request);
      },
    });
    const { raw } = client;
    hall.github.setIssue('acme/app', { number: 1, title: 'Implement it' });

    await raw.GET('/health');
    await raw.GET('/ready');
    await raw.GET('/metrics', { parseAs: 'text' });
    await raw.GET('/api/scaling');
    await raw.GET('/v1/town');
    await raw.GET('/v1/status', { params: { query: { deep: true } } });
    const spawned = await raw.POST('/v1/agents', { body: { name: 'raw-agent', cli: 'claude' } });
    expect(spawned.response.status).toBe(201);
    await raw.GET('/v1/agents');
    const agent = { params: { path: { agent: 'raw-agent' } } };
    const assigned = await raw.POST('/v1/tasks/assign', { body: { agent: 'raw-agent', task: 'raw work' } });
    expect(assigned.response.status).toBe(201);
    await raw.GET('/v1/tasks/pending');
    const added = await raw.POST('/v1/backlog', { body: { description: 'raw backlog' } });
    await raw.GET('/v1/backlog');
    await raw.POST('/v1/backlog/{task_id}/claim', {
      params: { path: { task_id: added.data!.task_id } },
      body: { agent: 'raw-agent' },
    });
    const removable = await raw.POST('/v1/backlog', { body: { description: 'to remove' } });
    await raw.DELETE('/v1/backlog/{task_id}', { params: { path: { task_id: removable.data!.task_id } } });
    await raw.POST('/v1/backlog', { body: { description: 'for all' } });
    await raw.POST('/v1/backlog/assign-all', { body: { agent: 'raw-agent' } });
    await raw.POST('/v1/messages/send', { body: { to: 'raw-agent', message: 'hi' } });
    await raw.GET('/v1/agents/{agent}/inbox', agent);
    await raw.POST('/v1/agents/{agent}/inbox', agent);
    await raw.POST('/v1/agents/{agent}/kill', agent);
    await raw.POST('/v1/recover');
    await raw.POST('/v1/reclaim', { body: { to_backlog: true } });
    await raw.POST('/v1/agents/{agent}/restart', agent);
    await raw.POST('/v1/agents/{agent}/kill', agent);
    await raw.POST('/v1/agents/prune', { body: { all: false } });

    const objectives = [{ type: 'issue' as const, owner: 'acme', repo: 'app', number: 1 }];
    const started = await raw.POST('/v1/missions', {
      body: { objectives, policy: { reviewer_required: false } },
    });
    expect(started.response.status).toBe(201);
    const mission = { params: { path: { mission_id: started.data!.mission_id } } };
    await raw.GET('/v1/missions', { params: { query: { active_only: false } } });
    await raw.GET('/v1/missions/{mission_id}', mission);
    const work = await raw.GET('/v1/missions/{mission_id}/work', mission);
    const item = {
      params: { path: { mission_id: started.data!.mission_id, work_item_id: work.data!.work_items[0]!.id } },
    };
    await raw.GET('/v1/missions/{mission_id}/work/{work_item_id}', item);
    await raw.PATCH('/v1/missions/{mission_id}/work/{work_item_id}', {
      ...item,
      body: { status: 'done', artifacts: ['https://github.com/acme/app/pull/3'] },
    });
    const watches = await raw.GET('/v1/missions/{mission_id}/watches', mission);
    await raw.POST('/v1/missions/{mission_id}/watches/{watch_id}/snooze', {
      params: { path: { mission_id: started.data!.mission_id, watch_id: watches.data!.watches[0]!.id } },
      body: { duration_secs: 120 },
    });
    await raw.GET('/v1/missions/{mission_id}/events', { params: { ...mission.params, query: { limit: 5 } } });
    await raw.POST('/v1/missions/{mission_id}/stop', { ...mission, body: { force: false } });
    await raw.POST('/v1/missions/{mission_id}/resume', mission);
    const refused = await raw.DELETE('/v1/missions/{mission_id}', mission).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TinytownApiError);
    expect((refused as TinytownApiError).status).toBe(409);
    await raw.DELETE('/v1/missions/{mission_id}', { params: { ...mission.params, query: { force: true } } });

    const seed = await seedOperationIds();
    expect(seed.length).toBeGreaterThanOrEqual(35);
    expect(seed.filter((operation) => !hits.has(operation))).toEqual([]);
  });
});
