/**
 * Every failure Tinytown reports on purpose carries a stable `code`. Callers (townhall, `tt`, the SDK)
 * branch on the code, never on the message text.
 */
export const ERROR_CODES = {
  AGENT_NOT_FOUND: 'not_found',
  TASK_NOT_FOUND: 'not_found',
  MISSION_NOT_FOUND: 'not_found',
  WORK_ITEM_NOT_FOUND: 'not_found',
  WATCH_NOT_FOUND: 'not_found',
  NOT_IN_BACKLOG: 'conflict',
  AGENT_EXISTS: 'conflict',
  INVALID_TRANSITION: 'conflict',
  LEASE_LOST: 'conflict',
  INVALID_NAME: 'invalid',
  RESERVED_NAME: 'invalid',
  INVALID_ID: 'invalid',
  INVALID_INPUT: 'invalid',
  AMBIGUOUS_REF: 'invalid',
  OBJECTIVE_INVALID: 'invalid',
  DEPENDENCY_CYCLE: 'invalid',
  CONFIG_INVALID: 'invalid',
  NOT_INITIALIZED: 'unavailable',
  REDIS_UNAVAILABLE: 'unavailable',
  REDIS_TOO_OLD: 'unavailable',
  REDIS_NOT_INSTALLED: 'unavailable',
  FORGE_ERROR: 'unavailable',
  TIMEOUT: 'unavailable',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
/** The broad class of an error: what an HTTP layer maps to 404, 409, 400 or 503. */
export type ErrorCategory = (typeof ERROR_CODES)[ErrorCode];

export class TinytownError extends Error {
  readonly code: ErrorCode;
  /** Structured facts about the failure (the field that was wrong, the candidates of an ambiguous ref…). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TinytownError';
    this.code = code;
    this.details = details;
  }

  get category(): ErrorCategory {
    return ERROR_CODES[this.code];
  }
}

export function isTinytownError(error: unknown, code?: ErrorCode): error is TinytownError {
  return error instanceof TinytownError && (code === undefined || error.code === code);
}

/** `suggestions`: names close to `ref`, offered only where the failure already had the roster at hand. */
export function agentNotFound(ref: string, suggestions: readonly string[] = []): TinytownError {
  if (suggestions.length === 0)
    return new TinytownError('AGENT_NOT_FOUND', `Agent not found: ${ref}`, { ref });
  const quoted = suggestions.map((name) => `"${name}"`);
  const offer = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  return new TinytownError('AGENT_NOT_FOUND', `Agent not found: ${ref} (did you mean ${offer}?)`, {
    ref,
    suggestions: [...suggestions],
  });
}
export const taskNotFound = (id: string) =>
  new TinytownError('TASK_NOT_FOUND', `Task not found: ${id}`, { id });
export const missionNotFound = (id: string) =>
  new TinytownError('MISSION_NOT_FOUND', `Mission not found: ${id}`, { id });
export const workItemNotFound = (missionId: string, id: string) =>
  new TinytownError('WORK_ITEM_NOT_FOUND', `Work item not found: ${id}`, { mission_id: missionId, id });
export const notInBacklog = (id: string) =>
  new TinytownError('NOT_IN_BACKLOG', `Task ${id} is not in the backlog`, { id });
export const invalidInput = (field: string, message: string) =>
  new TinytownError('INVALID_INPUT', `${field}: ${message}`, { field });
