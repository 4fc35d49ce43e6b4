import { describe, expect, it } from 'vitest';
import { call, dumpKeys, expectProblem, useTownhall } from './support.js';

const UNKNOWN_TASK = '6f1c0000-0000-4000-8000-000000000000';
const BIG = 'x'.repeat(1024 * 1024 + 10);

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

/** Bad inputs every body-taking route must refuse. */
function bodyCases(method: string, path: string, valid: Record<string, unknown>, required: string[]): Case[] {
  const cases: Case[] = [
    {
      name: 'malformed JSON',
      method,
      path,
      raw: '{"oops',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'empty JSON body',
      method,
      path,
      raw: '',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'text/plain',
      method,
      path,
      raw: JSON.stringify(valid),
      headers: { 'content-type': 'text/plain' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'form body',
      method,
      path,
      raw: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'oversized body',
      method,
      path,
      raw: JSON.stringify({ ...valid, pad: BIG }),
      headers: { 'content-type': 'application/json' },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    { name: 'JSON array', method, path, body: [valid], status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'prototype poisoning',
      method,
      path,
      raw: `{"__proto__":{"admin":true},${JSON.stringify(valid).slice(1)}`,
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
  ];
  for (const field of required) {
    const missing = { ...valid };
    delete missing[field];
    cases.push({
      name: `missing ${field}`,
      method,
      path,
      body: missing,
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    cases.push({
      name: `${field} as number`,
      method,
      path,
      body: { ...valid, [field]: 42 },
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    cases.push({
      name: `${field} empty`,
      method,
      path,
      body: { ...valid, [field]: '' },
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    cases.push({
      name: `${field} blank`,
      method,
      path,
      body: { ...valid, [field]: '   ' },
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    cases.push({
      name: `${field} null`,
      method,
      path,
      body: { ...valid, [field]: null },
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
  if (required.length > 0)
    cases.push({ name: 'no body', method, path, status: 400, code: 'VALIDATION_FAILED' });
  return cases;
}

const CASES: Case[] = [
  ...bodyCases('POST', '/v1/agents', { name: 'newbie' }, ['name']),
  {
    name: 'cli wrong type',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'n', cli: ['x'] },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'unknown cli',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'n', cli: 'rm -rf /' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'name too long',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'n'.repeat(65) },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reserved name',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'Supervisor' },
    status: 400,
    code: 'RESERVED_NAME',
  },
  {
    name: 'unknown parent',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'n', parent_agent_id: UNKNOWN_TASK },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'duplicate name',
    method: 'POST',
    path: '/v1/agents',
    body: { name: 'Worker' },
    status: 409,
    code: 'AGENT_EXISTS',
  },
  ...bodyCases('POST', '/v1/agents/prune', { all: true }, []),
  {
    name: 'all as string',
    method: 'POST',
    path: '/v1/agents/prune',
    body: { all: 'yes' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  ...bodyCases('POST', '/v1/tasks/assign', { agent: 'worker', task: 'do it' }, ['agent', 'task']),
  {
    name: 'unknown agent',
    method: 'POST',
    path: '/v1/tasks/assign',
    body: { agent: 'ghost', task: 'x' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'unknown agent by UUID',
    method: 'POST',
    path: '/v1/tasks/assign',
    body: { agent: UNKNOWN_TASK, task: 'x' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'tags not a list',
    method: 'POST',
    path: '/v1/tasks/assign',
    body: { agent: 'worker', task: 'x', tags: 'a' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  ...bodyCases('POST', '/v1/backlog', { description: 'later' }, ['description']),
  {
    name: 'tags of numbers',
    method: 'POST',
    path: '/v1/backlog',
    body: { description: 'x', tags: [1] },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  ...bodyCases('POST', `/v1/backlog/{backlog}/claim`, { agent: 'worker' }, ['agent']),
  {
    name: 'claim: non-UUID id',
    method: 'POST',
    path: '/v1/backlog/not-a-uuid/claim',
    body: { agent: 'worker' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'claim: unknown task',
    method: 'POST',
    path: `/v1/backlog/${UNKNOWN_TASK}/claim`,
    body: { agent: 'worker' },
    status: 404,
    code: 'TASK_NOT_FOUND',
  },
  {
    name: 'claim: unknown agent',
    method: 'POST',
    path: `/v1/backlog/{backlog}/claim`,
    body: { agent: 'ghost' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'claim: task not in backlog',
    method: 'POST',
    path: `/v1/backlog/{assigned}/claim`,
    body: { agent: 'worker' },
    status: 409,
    code: 'NOT_IN_BACKLOG',
  },
  ...bodyCases('POST', '/v1/backlog/assign-all', { agent: 'worker' }, ['agent']),
  {
    name: 'assign-all: unknown agent',
    method: 'POST',
    path: '/v1/backlog/assign-all',
    body: { agent: 'ghost' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'remove: non-UUID id',
    method: 'DELETE',
    path: '/v1/backlog/42',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'remove: unknown task',
    method: 'DELETE',
    path: `/v1/backlog/${UNKNOWN_TASK}`,
    status: 404,
    code: 'TASK_NOT_FOUND',
  },
  {
    name: 'remove: task not in backlog',
    method: 'DELETE',
    path: '/v1/backlog/{assigned}',
    status: 409,
    code: 'NOT_IN_BACKLOG',
  },
  ...bodyCases('POST', '/v1/messages/send', { to: 'worker', message: 'hi' }, ['to', 'message']),
  {
    name: 'send: unknown kind',
    method: 'POST',
    path: '/v1/messages/send',
    body: { to: 'worker', message: 'hi', kind: 'yell' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'send: urgent as string',
    method: 'POST',
    path: '/v1/messages/send',
    body: { to: 'worker', message: 'hi', urgent: 'true' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'send: unknown recipient',
    method: 'POST',
    path: '/v1/messages/send',
    body: { to: 'ghost', message: 'hi' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'send: unknown sender UUID',
    method: 'POST',
    path: '/v1/messages/send',
    body: { to: 'worker', message: 'hi', from: UNKNOWN_TASK },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  ...bodyCases('POST', '/v1/reclaim', { to_backlog: true }, []),
  {
    name: 'reclaim: to_backlog as string',
    method: 'POST',
    path: '/v1/reclaim',
    body: { to_backlog: 'yes' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reclaim: unknown target',
    method: 'POST',
    path: '/v1/reclaim',
    body: { to: 'ghost' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'reclaim: unknown source',
    method: 'POST',
    path: '/v1/reclaim',
    body: { from: 'ghost' },
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'reclaim: live source',
    method: 'POST',
    path: '/v1/reclaim',
    body: { from: 'worker', to_backlog: true },
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'reclaim: both destinations',
    method: 'POST',
    path: '/v1/reclaim',
    body: { to: 'worker', to_backlog: true },
    status: 400,
    code: 'INVALID_INPUT',
  },
  ...bodyCases('POST', '/v1/reclaim/orphan-tasks', { action: 'list' }, []),
  {
    name: 'orphans: unknown action',
    method: 'POST',
    path: '/v1/reclaim/orphan-tasks',
    body: { action: 'burn' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  ...bodyCases('POST', '/v1/tasks/{assigned}/complete', { result: 'ok' }, []),
  {
    name: 'complete: non-UUID id',
    method: 'POST',
    path: '/v1/tasks/abc/complete',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'complete: unknown task',
    method: 'POST',
    path: `/v1/tasks/${UNKNOWN_TASK}/complete`,
    status: 404,
    code: 'TASK_NOT_FOUND',
  },
  {
    name: 'complete: result as number',
    method: 'POST',
    path: '/v1/tasks/{assigned}/complete',
    body: { result: 1 },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'complete: finished task',
    method: 'POST',
    path: '/v1/tasks/{done}/complete',
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  ...bodyCases('POST', '/v1/tasks/{assigned}/fail', { error: 'boom' }, []),
  {
    name: 'fail: unknown task',
    method: 'POST',
    path: `/v1/tasks/${UNKNOWN_TASK}/fail`,
    status: 404,
    code: 'TASK_NOT_FOUND',
  },
  {
    name: 'fail: finished task',
    method: 'POST',
    path: '/v1/tasks/{done}/fail',
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'get task: non-UUID id',
    method: 'GET',
    path: '/v1/tasks/nope',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'get task: unknown',
    method: 'GET',
    path: `/v1/tasks/${UNKNOWN_TASK}`,
    status: 404,
    code: 'TASK_NOT_FOUND',
  },
  {
    name: 'list tasks: bad state',
    method: 'GET',
    path: '/v1/tasks?state=done',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'list tasks: unknown agent',
    method: 'GET',
    path: '/v1/tasks?agent=ghost',
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'list tasks: empty agent',
    method: 'GET',
    path: '/v1/tasks?agent=',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'status: deep not a boolean',
    method: 'GET',
    path: '/v1/status?deep=1x',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events: limit not a number',
    method: 'GET',
    path: '/v1/events?limit=ten',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events: limit too big',
    method: 'GET',
    path: '/v1/events?limit=100000',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'events: unknown agent',
    method: 'GET',
    path: '/v1/events?agent=ghost',
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'get agent: unknown',
    method: 'GET',
    path: '/v1/agents/ghost',
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'get agent: unknown UUID',
    method: 'GET',
    path: `/v1/agents/${UNKNOWN_TASK}`,
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  { name: 'get agent: blank', method: 'GET', path: '/v1/agents/%20', status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'inbox: unknown agent (GET)',
    method: 'GET',
    path: '/v1/agents/ghost/inbox',
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  {
    name: 'inbox: unknown agent (POST)',
    method: 'POST',
    path: '/v1/agents/ghost/inbox',
    status: 404,
    code: 'AGENT_NOT_FOUND',
  },
  ...['kill', 'restart', 'interrupt', 'resume', 'close'].map((action) => ({
    name: `${action}: unknown agent`,
    method: 'POST',
    path: `/v1/agents/ghost/${action}`,
    status: 404,
    code: 'AGENT_NOT_FOUND',
  })),
  {
    name: 'restart: running agent',
    method: 'POST',
    path: '/v1/agents/worker/restart',
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'resume: agent not paused',
    method: 'POST',
    path: '/v1/agents/worker/resume',
    status: 409,
    code: 'INVALID_TRANSITION',
  },
  {
    name: 'kill: with a text body',
    method: 'POST',
    path: '/v1/agents/worker/kill',
    raw: 'now',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
];

describe('bad input', () => {
  const h = useTownhall();

  it.each(
    CASES.map((testCase) => [`${testCase.method} ${testCase.path} — ${testCase.name}`, testCase] as const),
  )('%s', async (_label, testCase) => {
    await h.town.agents.register({ name: 'worker', cli: 'claude' });
    const backlog = await h.town.backlog.add('waiting');
    const { task: assigned } = await h.town.tasks.assign('worker', 'assigned');
    const { task: done } = await h.town.tasks.assign('worker', 'finished');
    await h.town.tasks.complete(done.id);
    const path = testCase.path
      .replace('{backlog}', backlog.id)
      .replace('{assigned}', assigned.id)
      .replace('{done}', done.id);
    const before = await dumpKeys(h.redis.client);
    const response = await call(h.base, testCase.method, path, {
      ...(testCase.body !== undefined ? { body: testCase.body } : {}),
      ...(testCase.raw !== undefined ? { raw: testCase.raw } : {}),
      ...(testCase.headers ? { headers: testCase.headers } : {}),
    });
    expectProblem(response, testCase.status, testCase.code);
    if (testCase.code === 'VALIDATION_FAILED') {
      expect(response.json.errors.length).toBeGreaterThan(0);
      expect(response.json.detail).toMatch(/^(body|params|querystring)/);
    }
    expect(await dumpKeys(h.redis.client)).toEqual(before);
  });
});
