import { isTinytownError, type TinytownError } from '@tinytown/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { App } from '../context.js';
import {
  type FieldError,
  HttpProblem,
  makeProblem,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  type ProblemCode,
} from '../problem.js';

const CATEGORY_STATUS = { not_found: 404, conflict: 409, invalid: 400, unavailable: 503 } as const;

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  headers: Record<string, string> = {},
): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  // Serialized here: the route's response schemas describe its successes, not this shape.
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send({ ...problem, request_id: request.id });
}

function fromTinytownError(error: TinytownError): Problem {
  const status = CATEGORY_STATUS[error.category];
  const field = typeof error.details.field === 'string' ? error.details.field : undefined;
  const errors: FieldError[] = field ? [{ in: 'body', field, message: error.message }] : [];
  return makeProblem(status, error.code, error.message, { errors });
}

function validationProblem(error: FastifyError): Problem {
  const where = error.validationContext ?? 'body';
  const errors: FieldError[] = (error.validation ?? []).map((issue) => {
    const field = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return { in: where, field: field || where, message: issue.message ?? 'invalid' };
  });
  const detail = errors
    .map((item) =>
      item.field === where ? `${where}: ${item.message}` : `${where}.${item.field}: ${item.message}`,
    )
    .join('; ');
  return makeProblem(400, 'VALIDATION_FAILED', detail || `Invalid ${where}`, { errors });
}

const FRAMEWORK_CODES: Record<string, { status: number; code: ProblemCode; detail?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'MALFORMED_JSON',
    detail: 'The body is empty but Content-Type says application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
};

/** Maps anything thrown during a request onto a problem; a caller's mistake is never a 500. */
export function toProblem(
  error: unknown,
  bodyLimit: number,
): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof HttpProblem) {
    return {
      problem: makeProblem(error.status, error.code, error.message, { errors: error.errors }),
      headers: error.headers,
    };
  }
  if (isTinytownError(error)) return { problem: fromTinytownError(error), headers: {} };
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    return { problem: validationProblem(fastifyError), headers: {} };
  }
  const known = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (known) {
    const detail =
      known.code === 'PAYLOAD_TOO_LARGE'
        ? `The body is larger than the ${bodyLimit}-byte limit`
        : (known.detail ?? fastifyError.message);
    return { problem: makeProblem(known.status, known.code, detail), headers: {} };
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return {
      problem: makeProblem(400, 'MALFORMED_JSON', `The body is not valid JSON: ${error.message}`),
      headers: {},
    };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { problem: makeProblem(status, 'BAD_REQUEST', fastifyError.message), headers: {} };
  }
  return {
    problem: makeProblem(500, 'INTERNAL', 'The server failed while handling the request; see its log'),
    headers: {},
  };
}

interface KnownRoute {
  method: string;
  pattern: RegExp;
}

function routePattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/** One error shape for every failure, including unknown routes (404) and wrong methods (405). */
export function registerErrorHandling(app: App, bodyLimit: number): void {
  const routes: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      routes.push({ method: method.toUpperCase(), pattern: routePattern(route.url) });
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem, headers } = toProblem(error, bodyLimit);
    if (problem.status >= 500 && problem.code !== 'REDIS_UNAVAILABLE' && problem.code !== 'TIMEOUT') {
      request.log.error({ err: error }, 'request failed');
    } else if (problem.status >= 500) {
      request.log.warn({ code: problem.code, detail: problem.detail }, 'request could not be served');
    }
    return sendProblem(request, reply, problem, headers);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = [
      ...new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method)),
    ];
    if (allowed.length > 0) {
      return sendProblem(
        request,
        reply,
        makeProblem(
          405,
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`,
        ),
        { allow: allowed.join(', ') },
      );
    }
    return sendProblem(
      request,
      reply,
      makeProblem(404, 'ROUTE_NOT_FOUND', `No route ${request.method} ${path}`),
    );
  });
}
