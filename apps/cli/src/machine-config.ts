import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MachineConfig, TinytownError } from '@tinytown/core';
import { parse as parseToml } from 'smol-toml';
import { ttHome } from './registry.js';

/** `~/.tt/config.toml` (under `TT_HOME` when set): this user's defaults for new towns. */
export const machineConfigFile = (): string => join(ttHome(), 'config.toml');

/** The machine-wide defaults; none when the file does not exist. A broken file is an error, never ignored. */
export function readMachineConfig(): MachineConfig {
  const file = machineConfigFile();
  if (!existsSync(file)) return MachineConfig.parse({});
  let raw: unknown;
  try {
    raw = parseToml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `Cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { file },
    );
  }
  const parsed = MachineConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'config';
    throw new TinytownError('CONFIG_INVALID', `${file}: ${where}: ${issue?.message ?? 'invalid'}`, {
      file,
      field: where,
    });
  }
  return parsed.data;
}
