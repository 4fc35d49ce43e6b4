import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { TinytownError } from '@tinytown/core';
import type { ResolvedCli } from './presets.js';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The file `program` runs as, found the way the kernel's exec does: a name with a slash is a path
 * (relative to `cwd`), any other name is looked up along PATH. Undefined when nothing executable is there.
 */
export function findExecutable(
  program: string,
  options: { cwd: string; path: string | undefined },
): string | undefined {
  if (program.includes('/')) {
    const file = isAbsolute(program) ? program : resolve(options.cwd, program);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (options.path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(resolve(options.cwd, dir), program);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The heading of a CLI's table in tinytown.toml, its name quoted where TOML needs it. */
function agentClisTable(name: string): string {
  return `[agent_clis.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

/**
 * Refuses a CLI whose program is not installed where the agent would run it (its `workdir`, with its own
 * PATH if its `env` sets one), or whose `workdir` is missing, before anything is registered or started:
 * otherwise the agent only fails at its first round, with its task already taken, and a missing workdir
 * reads as a missing program (spawn reports ENOENT for both).
 */
export function requireInstalledCli(
  cli: Pick<ResolvedCli, 'name' | 'argv' | 'env' | 'workdir'>,
  options: { townRoot: string; env?: NodeJS.ProcessEnv },
): string {
  const program = cli.argv[0] ?? '';
  const cwd = cli.workdir ? resolve(options.townRoot, cli.workdir) : options.townRoot;
  const table = agentClisTable(cli.name);
  if (cli.workdir && !isDirectory(cwd)) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `The '${cli.name}' CLI cannot run here: its working directory ${cwd} is not a directory. Create it, or change workdir in ${table} in tinytown.toml`,
      { field: 'workdir', cli: cli.name, workdir: cwd },
    );
  }
  const path = cli.env.PATH ?? (options.env ?? process.env).PATH;
  const found = program === '' ? undefined : findExecutable(program, { cwd, path });
  if (found === undefined) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `The '${cli.name}' CLI is not installed here: no executable '${program}' ${program.includes('/') ? `at ${resolve(cwd, program)}` : 'on PATH'}. Install it, set command in ${table} in tinytown.toml to run it from where it is, or choose another CLI (--cli, or default_cli in tinytown.toml)`,
      { field: 'cli', cli: cli.name, program },
    );
  }
  return found;
}
