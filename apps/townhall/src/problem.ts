/** RFC 9457 problem details: the one error shape townhall answers with. */
import type { FieldError, ProblemCode, ProblemDetails } from './schemas/common.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export type { FieldError, ProblemCode } from './schemas/common.js';
/** The one error shape: its schema (`ProblemDetails`) is what the OpenAPI document serves. */
export type Problem = ProblemDetails;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemType(code: ProblemCode): string {
  return `https://tinytown.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export function makeProblem(
  status: number,
  code: ProblemCode,
  detail: string,
  extra: { requestId?: string; errors?: FieldError[] } = {},
): Problem {
  return {
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(extra.requestId ? { request_id: extra.requestId } : {}),
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
  };
}

/** An error a hook or handler throws to answer with a given status and code. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}
