import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'smol-toml';
import { readTomlFile } from './toml-file.js';

export interface RegisteredTown {
  name: string;
  path: string;
}

/** `~/.tt` (or `TT_HOME`): this user's Tinytown files, the towns registry and machine-wide defaults. */
export function ttHome(): string {
  return resolve(process.env.TT_HOME ?? join(homedir(), '.tt'));
}

export const registryFile = () => join(ttHome(), 'towns.toml');

export function readRegistry(): RegisteredTown[] {
  const file = registryFile();
  if (!existsSync(file)) return [];
  const towns = readTomlFile(file).towns;
  if (!Array.isArray(towns)) return [];
  return towns
    .filter((entry): entry is { name: unknown; path: unknown } => typeof entry === 'object' && entry !== null)
    .filter((entry) => typeof entry.path === 'string')
    .map((entry) => ({ name: typeof entry.name === 'string' ? entry.name : '', path: entry.path as string }));
}

/** Adds or renames a town in the registry. Failing to write it never fails the command that asked. */
export function registerTown(town: RegisteredTown): boolean {
  try {
    const towns = readRegistry().filter((entry) => resolve(entry.path) !== resolve(town.path));
    towns.push({ name: town.name, path: resolve(town.path) });
    const file = registryFile();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${stringify({ towns })}\n`);
    return true;
  } catch {
    return false;
  }
}
