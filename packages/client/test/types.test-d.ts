import { describe, expectTypeOf, it } from 'vitest';
import {
  type components,
  createTinytownClient,
  type ProblemCode,
  type TinytownApiError,
  type TinytownRequestOptions,
} from '../src/index.js';

const client = createTinytownClient({ baseUrl: 'http://127.0.0.1:1' });

describe('types follow the OpenAPI document', () => {
  it('request bodies', () => {
    expectTypeOf(client.tasks.assign)
      .parameter(0)
      .toEqualTypeOf<components['schemas']['AssignTaskRequest']>();
    // @ts-expect-error `task` is the field name; `description` is not part of AssignTaskRequest.
    void client.tasks.assign({ agent: 'a', description: 'x' });
    // @ts-expect-error `name` is required to spawn an agent.
    void client.agents.spawn({ cli: 'claude' });
    // @ts-expect-error kind is one of task | query | info | ack.
    void client.messages.send({ to: 'a', message: 'hi', kind: 'shout' });
    void client.raw.POST('/v1/backlog', { body: { description: 'ok', tags: ['a'] } });
    // @ts-expect-error the raw client checks paths too.
    void client.raw.GET('/v1/agentz');
  });

  it('the problem document of an API error', () => {
    expectTypeOf<TinytownApiError['problem']['errors']>().toEqualTypeOf<
      { in: string; field: string; message: string }[] | undefined
    >();
    expectTypeOf<TinytownApiError['problem']['request_id']>().toEqualTypeOf<string | undefined>();
  });

  it('the codes of an API error', () => {
    expectTypeOf<'AGENT_NOT_FOUND'>().toExtend<ProblemCode>();
    expectTypeOf<'UNAUTHENTICATED'>().toExtend<ProblemCode>();
    expectTypeOf<'RATE_LIMITED'>().toExtend<ProblemCode>();
    expectTypeOf<'UNAUTHORIZED'>().not.toExtend<ProblemCode>();
    // Open: a gateway's or a newer townhall's code still fits, and so does HTTP_<status>.
    expectTypeOf<'HTTP_502'>().toExtend<TinytownApiError['code']>();
    expectTypeOf<ProblemCode>().toExtend<TinytownApiError['code']>();
  });

  it('response bodies', () => {
    expectTypeOf(client.agents.list).returns.resolves.toEqualTypeOf<components['schemas']['AgentList']>();
    expectTypeOf(client.backlog.claim).returns.resolves.toEqualTypeOf<
      components['schemas']['ClaimResponse']
    >();
    expectTypeOf<Awaited<ReturnType<typeof client.messages.send>>['message_id']>().toEqualTypeOf<string>();
  });

  it('per-call options come last and are optional, so calls without them still compile', () => {
    const { signal } = new AbortController();
    expectTypeOf(client.agents.list).parameter(0).toEqualTypeOf<TinytownRequestOptions | undefined>();
    expectTypeOf(client.tasks.complete).parameter(2).toEqualTypeOf<TinytownRequestOptions | undefined>();
    expectTypeOf(client.missions.updateWorkItem)
      .parameter(3)
      .toEqualTypeOf<TinytownRequestOptions | undefined>();
    void client.agents.list();
    void client.agents.listIfChanged('W/"1"', { signal });
    void client.tasks.list({ agent: 'a' }, { signal });
    void client.tasks.complete('id', undefined, { signal: undefined });
    // @ts-expect-error a signal is passed as `{ signal }`, not bare.
    void client.agents.get('a', signal);
    // @ts-expect-error per-call options take a signal, not arbitrary fetch options.
    void client.agents.get('a', { signal, cache: 'no-store' });
  });
});
