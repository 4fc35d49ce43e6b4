import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MachineConfig, TinytownError } from '@tinytown/core';
import { ttHome } from './registry.js';
import { readTomlFile } from './toml-file.js';

/** `~/.tt/config.toml` (under `TT_HOME` when set): this user's defaults for new towns. */
export const machineConfigFile = (): string => join(ttHome(), 'config.toml');

/** The machine-wide defaults; none when the file does not exist. A broken file is an error, never ignored. */
export function readMachineConfig(): MachineConfig {
  const file = machineConfigFile();
  if (!existsSync(file)) return MachineConfig.parse({});
  const parsed = MachineConfig.safeParse(readTomlFile(file));
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
