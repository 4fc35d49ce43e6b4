import { z } from 'zod';
import { TinytownError } from './errors.js';

export const Uuid = z.uuid();
export type Uuid = z.infer<typeof Uuid>;

/** The conductor's mailbox. No agent record exists for it; `conductor` and `supervisor` resolve to it. */
export const CONDUCTOR_ID = '00000000-0000-0000-0000-000000000001';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export function newId(): string {
  return crypto.randomUUID();
}

/** The first four characters of an id: how people refer to an agent in a busy terminal. */
export function shortId(id: string): string {
  return id.slice(0, 4);
}

/** Parses an id the caller gave us; anything that is not a UUID is refused before it reaches Redis. */
export function parseId(value: string, field = 'id'): string {
  const trimmed = value.trim();
  if (!isUuid(trimmed)) {
    throw new TinytownError('INVALID_ID', `${field} must be a UUID, got '${value}'`, { field, value });
  }
  return trimmed.toLowerCase();
}

export function nowIso(): string {
  return new Date().toISOString();
}
