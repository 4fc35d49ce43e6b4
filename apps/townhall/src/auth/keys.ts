import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { type ApiKeyEntry, type Scope, TinytownError } from '@tinytown/core';
import type { Principal } from '../context.js';

const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 32;
const KEY_PREFIX = 'tt_';

function scrypt(secret: string, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, length, SCRYPT, (error, derived) =>
      error ? reject(error) : resolve(derived),
    );
  });
}

/** A new random API key: `tt_` and 43 characters (256 bits). Shown once; only its hash is stored. */
export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** `scrypt$<salt base64>$<hash base64>`, the form `[[townhall.auth.keys]] hash` holds. */
export async function hashApiKey(key: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(key, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface ParsedHash {
  salt: Buffer;
  hash: Buffer;
}

export function parseKeyHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 3 || parts[0] !== 'scrypt') return undefined;
  const salt = Buffer.from(parts[1] ?? '', 'base64');
  const hash = Buffer.from(parts[2] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { salt, hash };
}

/** Constant-time check of one key against one stored hash. */
export async function verifyApiKey(key: string, stored: string): Promise<boolean> {
  const parsed = parseKeyHash(stored);
  if (!parsed) return false;
  const derived = await scrypt(key, parsed.salt, parsed.hash.length);
  return timingSafeEqual(derived, parsed.hash);
}

interface LoadedKey {
  name: string;
  scopes: readonly Scope[];
  salt: Buffer;
  hash: Buffer;
}

const CACHE_LIMIT = 1000;

/**
 * Checks presented keys against the configured hashes. scrypt is deliberately slow, so a key that has
 * verified once is remembered (by its SHA-256, never in clear) and later requests skip the KDF.
 */
export class KeyVerifier {
  private readonly keys: LoadedKey[];
  private readonly verified = new Map<string, Principal>();

  constructor(entries: readonly ApiKeyEntry[]) {
    this.keys = entries.map((entry, index) => {
      const parsed = parseKeyHash(entry.hash);
      if (!parsed) {
        throw new TinytownError(
          'CONFIG_INVALID',
          `townhall.auth.keys[${index}].hash is not a scrypt$<salt>$<hash> string (create keys with 'townhall keys create')`,
          { field: `townhall.auth.keys[${index}].hash` },
        );
      }
      return { name: entry.name ?? `key-${index + 1}`, scopes: entry.scopes, ...parsed };
    });
  }

  get size(): number {
    return this.keys.length;
  }

  /** Whether this key has been seen and verified before (so verifying it costs nothing). */
  isKnown(key: string): boolean {
    return this.verified.has(fingerprint(key));
  }

  async verify(key: string): Promise<Principal | null> {
    const print = fingerprint(key);
    const known = this.verified.get(print);
    if (known) return known;
    let match: LoadedKey | undefined;
    // Every configured key is tried, so the time taken does not tell which one matched.
    for (const candidate of this.keys) {
      const derived = await scrypt(key, candidate.salt, candidate.hash.length);
      if (timingSafeEqual(derived, candidate.hash) && !match) match = candidate;
    }
    if (!match) return null;
    const principal: Principal = { name: match.name, scopes: match.scopes };
    if (this.verified.size >= CACHE_LIMIT) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(print, principal);
    return principal;
  }
}

function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
