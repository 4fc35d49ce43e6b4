/**
 * Small readers for untrusted JSON from a forge. A missing optional field gets its default; a missing
 * required one throws, and the adapter turns that into a FORGE_ERROR naming the field.
 */
export type JsonObject = Record<string, unknown>;

export class JsonShapeError extends Error {}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new JsonShapeError(`${what} is not an object`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new JsonShapeError(`${what} is not an array`);
  return value;
}

export function requiredString(object: JsonObject, key: string, what: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new JsonShapeError(`${what}.${key} is not a string`);
  return value;
}

export function optionalString(object: JsonObject, key: string): string | null {
  const value = object[key];
  return typeof value === 'string' ? value : null;
}

export function requiredNumber(object: JsonObject, key: string, what: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new JsonShapeError(`${what}.${key} is not a number`);
  }
  return value;
}

export function optionalBoolean(object: JsonObject, key: string): boolean | null {
  const value = object[key];
  return typeof value === 'boolean' ? value : null;
}

/** `user.login` of a comment or review; deleted accounts come back as `null` users. */
export function loginOf(object: JsonObject): string {
  const user = object.user;
  return isObject(user) && typeof user.login === 'string' ? user.login : 'ghost';
}
