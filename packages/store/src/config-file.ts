import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TinytownError, TownConfig } from '@tinytown/core';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';

export const CONFIG_FILE_NAME = 'tinytown.toml';

export interface LoadedTownConfig {
  config: TownConfig;
  /** The town directory, absolute. */
  root: string;
  /** Where the town's Redis is: `REDIS_URL`, else `[redis] url`, else the embedded default's socket. */
  redisUrl: string;
  /** Whether the config came from `tinytown.toml` or, with no file, from the environment alone. */
  source: 'file' | 'env';
}

type Env = Readonly<Record<string, string | undefined>>;

/** `Invalid <what>: <path>: <message>; …`, each issue by its full path (unknown keys named). */
export function describeIssues(error: z.ZodError, file: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...path, key].join('.')}: unknown key`).join('; ');
    }
    return `${path.length > 0 ? path.join('.') : '(top level)'}: ${issue.message}`;
  });
  return `Invalid ${file}: ${lines.join('; ')}`;
}

function validate(raw: unknown, file: string): TownConfig {
  const parsed = TownConfig.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field =
      first?.code === 'unrecognized_keys'
        ? [...first.path.map(String), first.keys[0] ?? ''].join('.')
        : first?.path.map(String).join('.');
    throw new TinytownError('CONFIG_INVALID', describeIssues(parsed.error, file), { field, file });
  }
  return parsed.data;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Loads the town's configuration: `<dir>/tinytown.toml` (validated; unknown keys are errors naming the
 * key), or, when there is no file, a config built from the environment (`TINYTOWN_TOWN` names the town)
 * so a container can run with environment variables alone. `REDIS_URL` always wins over the file; with
 * no URL anywhere the embedded default's socket under the town directory is used (started by `tt up`).
 */
export function loadTownConfig(dir: string = process.cwd(), env: Env = process.env): LoadedTownConfig {
  const root = resolve(dir);
  const file = join(root, CONFIG_FILE_NAME);
  let config: TownConfig;
  let source: LoadedTownConfig['source'];
  if (existsSync(file)) {
    let raw: unknown;
    try {
      raw = parseToml(readFileSync(file, 'utf8'));
    } catch (error) {
      const detail =
        error instanceof TomlError
          ? `line ${error.line}, column ${error.column}: ${error.message.split('\n')[0]}`
          : String(error);
      throw new TinytownError(
        'CONFIG_INVALID',
        `Cannot parse ${file}: ${detail}`,
        { file },
        { cause: error },
      );
    }
    config = validate(raw, file);
    source = 'file';
  } else {
    const name = nonEmpty(env.TINYTOWN_TOWN);
    if (!name) {
      throw new TinytownError(
        'NOT_INITIALIZED',
        `No town at ${root}: ${CONFIG_FILE_NAME} not found. Run 'tt init' there, or set TINYTOWN_TOWN (the town name) and REDIS_URL.`,
        { root },
      );
    }
    config = validate({ name }, `TINYTOWN_TOWN '${name}'`);
    source = 'env';
  }
  const socketPath = config.redis.socket_path;
  const redisUrl =
    nonEmpty(env.REDIS_URL) ??
    nonEmpty(config.redis.url) ??
    `unix://${isAbsolute(socketPath) ? socketPath : join(root, socketPath)}`;
  return { config, root, redisUrl, source };
}
