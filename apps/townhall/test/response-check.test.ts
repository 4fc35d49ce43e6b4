import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkedSerializer } from '../src/response-check.js';

describe('checkedSerializer', () => {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setSerializerCompiler(checkedSerializer);
  const Reply = z.object({ id: z.string(), count: z.number().int(), note: z.string().nullable() });
  const replies: Record<string, unknown> = {
    exact: { id: 'a', count: 1, note: null },
    reordered: { note: 'n', count: 2, id: 'b' },
    extra: { id: 'a', count: 1, note: null, secret: 'undocumented' },
    nested: { id: 'a', count: 1, note: null, deep: { x: 1 } },
    missing: { id: 'a', note: null },
    mistyped: { id: 'a', count: '1', note: null },
  };
  app.get('/:kind', { schema: { response: { 200: Reply } } }, async (request) => {
    const { kind } = request.params as { kind: string };
    return replies[kind] as z.infer<typeof Reply>;
  });
  afterAll(() => app.close());

  it('sends a reply its schema describes, whatever the key order', async () => {
    for (const kind of ['exact', 'reordered']) {
      const response = await app.inject({ url: `/${kind}` });
      expect(response.statusCode, kind).toBe(200);
      expect(response.json()).toEqual(replies[kind]);
    }
  });

  it('fails a reply with a field its schema does not name, or a missing or mistyped one', async () => {
    const failures = {
      extra: 'the reply has fields its schema does not describe',
      nested: 'the reply has fields its schema does not describe',
      missing: 'the reply does not match its schema',
      mistyped: 'the reply does not match its schema',
    };
    for (const [kind, why] of Object.entries(failures)) {
      const response = await app.inject({ url: `/${kind}` });
      expect(response.statusCode, kind).toBe(500);
      expect(response.json().message, kind).toContain(`GET /:kind 200: ${why}`);
    }
  });
});
