import { isUuid, TinytownError } from '@tinytown/core';
import type { Redis } from 'ioredis';
import { redisCall } from './errors.js';

/** Listings show the first 8 characters of an id; 4 is the shortest start worth looking up. */
const ID_START = /^[0-9a-f][0-9a-f-]{3,34}$/;
/** Enough candidates to show in an ambiguity error. */
const MAX_CANDIDATES = 5;

/** One SCAN-family step: the next cursor and the ids found in this batch. */
type IdScan = (cursor: string, pattern: string) => Promise<[string, string[]]>;

/**
 * The id a reference means: a full UUID as it is, or the one member of the id set `setKey` that starts
 * with it. For people at a terminal, who copy the short ids listings print; the REST API takes full ids.
 */
export function resolveIdStart(
  redis: Redis,
  setKey: string,
  ref: string,
  field: string,
  notFound: (ref: string) => Error,
): Promise<string> {
  return resolveAmong(ref, field, notFound, (cursor, pattern) =>
    redisCall(redis.sscan(setKey, cursor, 'MATCH', pattern, 'COUNT', 1000)),
  );
}

/** As {@link resolveIdStart}, among the fields of the hash `hashKey` (records kept by id). */
export function resolveFieldStart(
  redis: Redis,
  hashKey: string,
  ref: string,
  field: string,
  notFound: (ref: string) => Error,
): Promise<string> {
  return resolveAmong(ref, field, notFound, async (cursor, pattern) => {
    const [next, flat] = await redisCall(redis.hscan(hashKey, cursor, 'MATCH', pattern, 'COUNT', 1000));
    // Field, value, field, value…: the values are the records, not wanted here.
    return [next, flat.filter((_, index) => index % 2 === 0)];
  });
}

async function resolveAmong(
  ref: string,
  field: string,
  notFound: (ref: string) => Error,
  scan: IdScan,
): Promise<string> {
  const wanted = ref.trim().toLowerCase();
  if (isUuid(wanted)) return wanted;
  if (!ID_START.test(wanted)) {
    throw new TinytownError(
      'INVALID_ID',
      `${field} must be a UUID or its first 4 or more characters, got '${ref}'`,
      { field, value: ref },
    );
  }
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await scan(cursor, `${wanted}*`);
    for (const id of batch) found.add(id);
    cursor = next;
  } while (cursor !== '0' && found.size <= MAX_CANDIDATES);
  const [only, ...others] = [...found].sort();
  if (only === undefined) throw notFound(ref);
  if (others.length === 0) return only;
  const candidates = [only, ...others].slice(0, MAX_CANDIDATES);
  throw new TinytownError(
    'AMBIGUOUS_REF',
    `${field} '${ref}' matches more than one: ${candidates.join(', ')}${found.size > MAX_CANDIDATES ? ', …' : ''}`,
    { field, candidates },
  );
}
