import {
  type Agent,
  AgentState,
  AgentType,
  type Message,
  MessageBody,
  SpawnMode,
  type Task,
  TaskState,
  type TownEvent,
  TownEvent as TownEventSchema,
} from '@tinytown/core';
import type { z } from 'zod';

/**
 * Records as Redis stores them (hashes of strings) turned into domain objects. Reads are tolerant like
 * the original (a bad enum falls back to its default, a bad number to 0) so a stray hand edit never
 * makes a whole listing fail.
 */
export type FlatHash = Record<string, string>;

export function flatToHash(flat: readonly string[]): FlatHash {
  const hash: FlatHash = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

/** Reads a stored enum value, falling back to the default for anything the schema does not know. */
function enumOr<T extends string>(
  schema: { options: readonly T[] },
  value: string | undefined,
  fallback: T,
): T {
  return value !== undefined && (schema.options as readonly string[]).includes(value)
    ? (value as T)
    : fallback;
}

const optional = (value: string | undefined) => (value === undefined || value === '' ? null : value);
const count = (value: string | undefined) => {
  const parsed = Number.parseInt(value ?? '0', 10);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : 0;
};

export function agentFromHash(hash: FlatHash): Agent {
  const created = hash.created_at ?? new Date(0).toISOString();
  return {
    id: hash.id ?? '',
    name: hash.name ?? '',
    nickname: optional(hash.nickname),
    role_id: optional(hash.role_id),
    parent_agent_id: optional(hash.parent_agent_id),
    spawn_mode: enumOr(SpawnMode, hash.spawn_mode, 'fresh'),
    agent_type: enumOr(AgentType, hash.agent_type, 'worker'),
    state: enumOr(AgentState, hash.state, 'starting'),
    cli: hash.cli ?? '',
    current_task: optional(hash.current_task),
    created_at: created,
    last_heartbeat: hash.last_heartbeat ?? created,
    last_active_at: hash.last_active_at ?? created,
    tasks_completed: count(hash.tasks_completed),
    rounds_completed: count(hash.rounds_completed),
  };
}

export function taskFromHash(hash: FlatHash): Task {
  let tags: string[] = [];
  try {
    const parsed: unknown = JSON.parse(hash.tags ?? '[]');
    if (Array.isArray(parsed)) tags = parsed.filter((tag): tag is string => typeof tag === 'string');
  } catch {
    tags = [];
  }
  const created = hash.created_at ?? new Date(0).toISOString();
  return {
    id: hash.id ?? '',
    description: hash.description ?? '',
    state: enumOr(TaskState, hash.state, 'pending'),
    assigned_to: optional(hash.assigned_to),
    created_at: created,
    updated_at: hash.updated_at ?? created,
    started_at: optional(hash.started_at),
    completed_at: optional(hash.completed_at),
    result: optional(hash.result),
    parent_id: optional(hash.parent_id),
    tags,
  };
}

const MESSAGE_TYPES = new Set<string>(MessageBody.options.map((variant) => variant.shape.type.value));

/**
 * Decodes a stored message; entries that are not messages are skipped by callers, never thrown. Every
 * receive goes through here, so it checks the envelope and the type tag rather than running the full
 * schema: the store wrote these from typed values, and a stray entry is still caught by its shape.
 */
export function decodeMessage(raw: string): Message | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<Record<keyof Message, unknown>>;
    if (
      typeof parsed.id === 'string' &&
      typeof parsed.from === 'string' &&
      typeof parsed.to === 'string' &&
      typeof parsed.type === 'string' &&
      MESSAGE_TYPES.has(parsed.type)
    ) {
      return parsed as Message;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** A stream entry `[id, [field, value, …]]` as a TownEvent, or undefined if it does not decode. */
export function eventFromEntry(id: string, fields: readonly string[]): TownEvent | undefined {
  const hash = flatToHash(fields);
  try {
    const parsed = TownEventSchema.safeParse({ ...JSON.parse(hash.data ?? '{}'), id });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A record stored as JSON, or undefined when it is missing or no longer matches its schema. */
export function parseJsonRecord<T>(schema: z.ZodType<T>, raw: string | null | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Every value of a hash of JSON records, skipping corrupt ones: one bad record must not hide the rest. */
export function parseJsonRecords<T>(
  schema: z.ZodType<T>,
  hash: Record<string, string> | null | undefined,
): T[] {
  return Object.values(hash ?? {})
    .map((raw) => parseJsonRecord(schema, raw))
    .filter((value): value is T => value !== undefined);
}
