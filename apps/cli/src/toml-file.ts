import { readFileSync } from 'node:fs';
import { TinytownError } from '@tinytown/core';
import { parse } from 'smol-toml';

/** A TOML file's contents; a file that does not parse is a CONFIG_INVALID error naming it. */
export function readTomlFile(file: string): Record<string, unknown> {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `Cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { file },
    );
  }
}
