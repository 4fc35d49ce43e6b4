import { ERROR_CODES, type ErrorCode } from '@tinytown/core';
import { z } from 'zod';

/** The codes of townhall's own HTTP layer, besides the town's (core's `ERROR_CODES`). */
const HTTP_PROBLEM_CODES = [
  'BAD_REQUEST',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'RATE_LIMITED',
  'REQUEST_TIMEOUT',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;

/** Every code a problem can carry: listed in the OpenAPI document, so typed clients can branch on it. */
export const ProblemCode = z
  .enum([...(Object.keys(ERROR_CODES) as ErrorCode[]), ...HTTP_PROBLEM_CODES])
  .meta({
    id: 'ProblemCode',
    description: 'Stable machine-readable code: branch on this, never on `detail`',
  });
export type ProblemCode = z.infer<typeof ProblemCode>;

export const FieldError = z.object({
  in: z.string().describe('Where the field is: `body`, `params`, `querystring` or `headers`'),
  field: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

/** Every error townhall returns (application/problem+json). */
export const ProblemDetails = z
  .object({
    type: z.string().describe('A URI naming the kind of problem'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: ProblemCode,
    request_id: z.string().optional(),
    errors: z.array(FieldError).optional().describe('Per-field problems of an invalid request'),
  })
  .meta({ id: 'ProblemDetails', description: 'RFC 9457 problem details' });
export type ProblemDetails = z.infer<typeof ProblemDetails>;

/** Any 8-4-4-4-12 hex id; the conductor's mailbox id is not a v4 UUID, so z.uuid() is too strict. */
export const Id = z.guid();

/** A required, non-blank string. */
export const Text = (field: string, max = 100_000) =>
  z
    .string()
    .max(max)
    .refine((value) => value.trim().length > 0, { message: `${field} must not be empty` });

export const AgentRef = z
  .string()
  .max(200)
  .refine((value) => value.trim().length > 0, { message: 'must not be empty' })
  .describe('An agent: name, UUID, nickname, `Nickname [role]`, 4-character short id, or `conductor`');

export const AgentParams = z.object({ agent: AgentRef.describe('Agent name') });
export const TaskIdParams = z.object({ task_id: Id.describe('Task UUID') });

/**
 * `true` or `false` in a query string. Documented as a boolean (or its text) so typed clients pass a
 * boolean, which they send as text.
 */
export function queryFlag(fallback: boolean, description: string) {
  return z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .default(fallback)
    .transform((value) => value === true || value === 'true')
    .describe(description);
}

/** A JSON body the route reads but does not require (Fastify hands an absent body over as null). */
export function optionalBody<T extends z.ZodObject>(schema: T) {
  return schema.nullish();
}

export const AGENT_STATE_LABELS = [
  'Cold',
  'Starting',
  'Idle',
  'Working',
  'Paused',
  'Draining',
  'Stopped',
  'Error',
] as const;

export const AgentStateLabel = z
  .enum(AGENT_STATE_LABELS)
  .describe(
    'Agent state. Cold: registered, not started; Starting: runtime booting; Idle; Working: in a round; Paused: interrupted, waits for resume; Draining: finishing its round before stopping; Stopped; Error.',
  );

export const TaskStateName = z.enum(['pending', 'assigned', 'running', 'completed', 'failed', 'cancelled']);

export const Task = z
  .object({
    id: z.string(),
    description: z.string(),
    state: TaskStateName,
    assigned_to: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    result: z.string().nullable(),
    parent_id: z.string().nullable(),
    tags: z.array(z.string()),
  })
  .meta({ id: 'Task', description: 'A task record' });
