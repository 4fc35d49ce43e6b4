import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, useTownhall } from './support.js';
import { parseYaml } from './yaml-lite.js';

// biome-ignore lint/suspicious/noExplicitAny: walking two OpenAPI documents generically
type Doc = any;

const SEED = new URL('../../../../shared/seed/townhall-v1.yaml', import.meta.url);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function resolve(doc: Doc, node: Doc): Doc {
  let current = node;
  for (let depth = 0; current && typeof current === 'object' && depth < 10; depth++) {
    if (typeof current.$ref === 'string') {
      current = current.$ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((value: Doc, key: string) => value?.[key], doc);
      continue;
    }
    // A nullable or optional wrapper: the object branch carries the shape.
    const branches = current.anyOf ?? current.oneOf;
    if (Array.isArray(branches) && !current.properties) {
      const object = branches.find(
        (branch: Doc) => branch.$ref || branch.properties || branch.type === 'object',
      );
      if (object) {
        current = object;
        continue;
      }
    }
    break;
  }
  return current;
}

/** Every property path of the seed's schema must exist in ours, recursively through objects and arrays. */
function missingProperties(seed: Doc, seedNode: Doc, ours: Doc, ourNode: Doc, at: string): string[] {
  const s = resolve(seed, seedNode);
  const o = resolve(ours, ourNode);
  if (!s || typeof s !== 'object') return [];
  if (s.items) return missingProperties(seed, s.items, ours, o?.items, `${at}[]`);
  const missing: string[] = [];
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const path = `${at}.${name}`;
    if (!o?.properties?.[name]) missing.push(path);
    else missing.push(...missingProperties(seed, child, ours, o.properties[name], path));
  }
  return missing;
}

function parameters(doc: Doc, operation: Doc): string[] {
  return (operation.parameters ?? []).map((parameter: Doc) => {
    const p = resolve(doc, parameter);
    return `${p.in}:${p.name}`;
  });
}

function jsonSchemaOf(doc: Doc, holder: Doc): Doc {
  const content = resolve(doc, holder)?.content ?? {};
  return (content['application/json'] ?? content['application/problem+json'] ?? content['text/plain'])
    ?.schema;
}

describe('the seed contract', () => {
  const h = useTownhall();
  const seed: Doc = parseYaml(readFileSync(SEED, 'utf8'));

  it('serves OpenAPI 3.1 with every operation of townhall-v1.yaml, the same way', async () => {
    const response = await call(h.base, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    const ours: Doc = response.json;
    expect(ours.openapi).toMatch(/^3\.1\./);
    const checked: string[] = [];
    const problems: string[] = [];
    for (const [path, item] of Object.entries<Doc>(seed.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const label = `${method.toUpperCase()} ${path}`;
        checked.push(label);
        const mine = ours.paths?.[path]?.[method];
        if (!mine) {
          problems.push(`${label}: missing`);
          continue;
        }
        if (mine.operationId !== operation.operationId) {
          problems.push(`${label}: operationId ${mine.operationId} != ${operation.operationId}`);
        }
        const theirParams = parameters(seed, operation).sort();
        const myParams = parameters(ours, mine).sort();
        if (JSON.stringify(theirParams) !== JSON.stringify(myParams)) {
          problems.push(`${label}: parameters ${myParams} != ${theirParams}`);
        }
        if (operation.requestBody) {
          if (!mine.requestBody) problems.push(`${label}: no request body`);
          else {
            const missing = missingProperties(
              seed,
              jsonSchemaOf(seed, operation.requestBody),
              ours,
              jsonSchemaOf(ours, mine.requestBody),
              'body',
            );
            problems.push(...missing.map((field) => `${label}: request ${field} missing`));
          }
        }
        for (const [status, seedResponse] of Object.entries<Doc>(operation.responses)) {
          const myResponse = mine.responses?.[status];
          if (!myResponse) {
            problems.push(`${label}: no ${status} response`);
            continue;
          }
          const missing = missingProperties(
            seed,
            jsonSchemaOf(seed, seedResponse),
            ours,
            jsonSchemaOf(ours, myResponse),
            `${status}`,
          );
          problems.push(...missing.map((field) => `${label}: response ${field} missing`));
        }
      }
    }
    expect(problems).toEqual([]);
    // health, ready, metrics, scaling, town, status, 2×agents, kill, restart, prune, assign, pending,
    // 2×backlog, claim, assign-all, remove, send, 2×inbox, recover, reclaim;
    // missions: list, start, get, delete, resume, stop, work list/get/patch, watches, snooze, events.
    expect(checked.length).toBe(35);
    expect(checked.filter((label) => label.includes('/v1/missions'))).toHaveLength(12);
  });

  it('documents the extra agent states, auth, and problem responses', async () => {
    const ours: Doc = (await call(h.base, 'GET', '/openapi.json')).json;
    const agentInfo = ours.components.schemas.AgentInfo;
    expect(agentInfo.properties.state.enum).toEqual([
      'Cold',
      'Starting',
      'Idle',
      'Working',
      'Paused',
      'Draining',
      'Stopped',
      'Error',
    ]);
    expect(Object.keys(ours.components.securitySchemes)).toEqual(['bearerAuth', 'apiKeyHeader']);
    const assign = ours.paths['/v1/tasks/assign'].post;
    expect(assign.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(assign.responses['404'].content['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/ProblemDetails',
    );
    expect(ours.paths['/health'].get.security).toEqual([]);
    for (const extra of [
      ['get', '/v1/agents/{agent}'],
      ['post', '/v1/agents/{agent}/interrupt'],
      ['post', '/v1/agents/{agent}/resume'],
      ['post', '/v1/agents/{agent}/close'],
      ['get', '/v1/tasks'],
      ['get', '/v1/tasks/{task_id}'],
      ['post', '/v1/tasks/{task_id}/complete'],
      ['post', '/v1/tasks/{task_id}/fail'],
      ['get', '/v1/events'],
      ['get', '/healthz'],
      ['get', '/readyz'],
      ['post', '/v1/reclaim/orphan-tasks'],
      ['post', '/v1/missions/{mission_id}/complete'],
      ['post', '/v1/missions/{mission_id}/fail'],
      ['get', '/v1/missions/{mission_id}/notes'],
      ['post', '/v1/missions/{mission_id}/notes'],
    ] as const) {
      expect(ours.paths[extra[1]]?.[extra[0]]?.operationId, `${extra[0]} ${extra[1]}`).toBeTruthy();
    }
    // The mission records are named as in the contract.
    for (const name of [
      'MissionRun',
      'MissionSummary',
      'WorkItem',
      'WatchItem',
      'MissionPolicy',
      'ObjectiveRef',
    ])
      expect(ours.components.schemas[name], name).toBeTruthy();
    // A body a route can do without is an optional request body.
    const stop = ours.paths['/v1/missions/{mission_id}/stop'].post.requestBody;
    expect(stop.required).toBe(false);
    expect(stop.content['application/json'].schema.$ref).toBe('#/components/schemas/StopMissionRequest');
    expect(ours.paths['/v1/missions'].post.requestBody.required).toBe(true);
    // No leftover duplicate request/response copies of a shape.
    expect(Object.keys(ours.components.schemas).filter((name) => name.endsWith('Input'))).toEqual([]);
  });
});
