import { TinytownError } from './errors.js';

/** Town and agent names: safe in keys, file names and shell words alike. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Names that address the conductor's mailbox and therefore can never be agents. */
export const RESERVED_NAMES = ['conductor', 'supervisor'] as const;

export function isConductorAlias(ref: string): boolean {
  const normalized = ref.trim().toLowerCase();
  return (RESERVED_NAMES as readonly string[]).includes(normalized);
}

export function validateName(name: string, what: 'agent' | 'town' = 'agent'): string {
  if (!NAME_PATTERN.test(name)) {
    throw new TinytownError(
      'INVALID_NAME',
      `Invalid ${what} name '${name}': use 1-64 letters, digits, '.', '_' or '-'`,
      { field: 'name', name },
    );
  }
  if (what === 'agent' && isConductorAlias(name)) {
    throw new TinytownError('RESERVED_NAME', `'${name}' is reserved for the conductor's mailbox`, {
      field: 'name',
      name,
    });
  }
  return name;
}
