import { isDeepStrictEqual } from 'node:util';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

/**
 * A serializer that refuses to send a reply its route's response schema does not describe: a missing or
 * mistyped field, or one the schema (and so the served OpenAPI document) does not name. The replies are
 * typed against their schemas, but TypeScript lets extra fields through, so without this an undocumented
 * field reaches clients unnoticed. It costs a zod parse per reply, so it is for tests and staging.
 */
export const checkedSerializer: FastifySerializerCompiler<unknown> =
  ({ schema, method, url, httpStatus }) =>
  (data: unknown) => {
    const text = JSON.stringify(data);
    if (!(schema instanceof z.ZodType)) return text;
    const where = `${method} ${url} ${httpStatus}`;
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new Error(`${where}: the reply does not match its schema: ${z.prettifyError(parsed.error)}`);
    }
    // Parsing drops what the schema does not name; the reply as sent must survive that unchanged.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(parsed.data)), JSON.parse(text))) {
      throw new Error(`${where}: the reply has fields its schema does not describe: ${text.slice(0, 500)}`);
    }
    return text;
  };
