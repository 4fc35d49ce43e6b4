import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TinytownError } from '@tinytown/core';
import { parse, stringify } from 'smol-toml';
import { editTomlKey } from './toml-edit.js';
import { readTomlFile } from './toml-file.js';

/** `tt config` keys are dotted paths into a TOML file: `agent.idle_timeout_secs`, `agent_clis.my-ai`. */
export function keyPath(key: string): string[] {
  const path = key.split('.').filter((part) => part.length > 0);
  if (path.length === 0) throw new TinytownError('CONFIG_INVALID', 'empty config key', { field: 'key' });
  return path;
}

export function getPath(object: unknown, path: readonly string[]): unknown {
  let current: unknown = object;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A value typed on the command line: true/false and numbers as such, tables and lists as JSON or as TOML
 * (the file's own syntax: `{ command = "my-ai" }`), anything else as text. A table that is neither stays
 * text, with why, for the error the schema then gives.
 */
function parseValue(text: string): { value: Json; unparsed?: string } {
  if (text === 'true' || text === 'false') return { value: text === 'true' };
  if (/^-?\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  if (!/^[[{]/.test(text.trim())) return { value: text };
  try {
    return { value: JSON.parse(text) as Json };
  } catch {
    try {
      return { value: parse(`value = ${text}`).value as Json };
    } catch (error) {
      const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return { value: text, unparsed: `the value is neither JSON nor TOML (${why})` };
    }
  }
}

/** A config value as `tt config <key>` prints it: tables as TOML, anything else as text. */
export function formatValue(value: unknown): string {
  return typeof value === 'object' && value !== null
    ? stringify(value as Record<string, unknown>)
    : String(value);
}

/** The zod schema of a whole config file (only what setting a key needs of it). */
interface ConfigSchema {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: readonly { message: string; path: readonly PropertyKey[] }[] } };
}

/**
 * Sets `key` in the TOML `file` (created when missing) and writes it back only if the whole file still
 * satisfies `schema` and `check` (which throws to refuse); returns the value as the schema reads it. A
 * rejected value leaves the file as it was.
 */
export function setConfigKey<T>(
  file: string,
  schema: ConfigSchema,
  key: string,
  value: string,
  check: (config: T) => void = () => {},
): unknown {
  const path = keyPath(key);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const raw = existsSync(file) ? readTomlFile(file) : {};
  let table: Record<string, unknown> = raw;
  for (const part of path.slice(0, -1)) {
    const next = table[part];
    if (next === undefined) table[part] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new TinytownError('CONFIG_INVALID', `'${part}' in ${key} is not a table`, { field: key });
    }
    table = table[part] as Record<string, unknown>;
  }
  const typed = parseValue(value);
  table[path[path.length - 1] as string] = typed.value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The issue's place, unless it is the key itself (already named at the start of the message).
    const place = issue?.path.map(String).join('.') ?? '';
    const where = place && place !== path.join('.') ? `${place}: ` : '';
    const hint = typed.unparsed ? `; ${typed.unparsed}` : '';
    throw new TinytownError(
      'CONFIG_INVALID',
      `Cannot set ${key} to '${value}': ${where}${issue?.message ?? 'invalid value'}${hint}`,
      { field: key },
    );
  }
  check(parsed.data as T);
  mkdirSync(dirname(file), { recursive: true });
  // Only the key's line changes: the file's comments (tt init's notes, the user's own) stay.
  writeFileSync(file, editTomlKey(text, path, raw));
  return getPath(parsed.data, path);
}
