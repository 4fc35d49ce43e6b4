#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isTinytownError, SCOPES, type Scope } from '@tinytown/core';
import { generateApiKey, hashApiKey } from './auth/keys.js';
import { exportOpenApi } from './export.js';
import { KEYS_ENV, startRest } from './rest.js';

const HELP = `townhall - the Tinytown REST control plane

Usage:
  townhall rest [--town <dir>] [--bind <addr>] [--port <n>] [--log-level <level>]
  townhall keys create --scopes <s1,s2> [--name <name>]
  townhall openapi [--out <file>]
  townhall --help | --version

rest         Serve the REST API (the default command). The town comes from <dir>/tinytown.toml
             or, with no file, from TINYTOWN_TOWN and REDIS_URL. REDIS_URL always wins.
             Defaults: --town . --bind 127.0.0.1 --port 8080 (or [townhall] bind / rest_port).
             API docs: /docs; OpenAPI 3.1: /openapi.json.
keys create  Print a new API key (once) and the lines to add to tinytown.toml or the environment.
             Scopes: ${SCOPES.join(', ')} (admin implies all).
openapi      Print the OpenAPI 3.1 document the server serves at /openapi.json (or write it to
             <file>), without Redis or a town: nothing connects anywhere.

Environment (over tinytown.toml, under the flags), for containers:
  TINYTOWN_TOWN            the town's name when there is no tinytown.toml
  REDIS_URL                redis://, rediss:// or unix:// (always wins over [redis] url)
  TINYTOWN_TOWNHALL_BIND   address to listen on ([townhall] bind; not loopback needs api_key auth)
  TINYTOWN_TOWNHALL_PORT   port ([townhall] rest_port)
  TINYTOWN_TOWNHALL_KEYS   API keys as JSON, as 'townhall keys create' prints them (turns on api_key)
  TOWNHALL_LOG_LEVEL       like --log-level (default info)
  GITHUB_TOKEN, GITHUB_API_URL   what missions read issues with

Signals: SIGTERM/SIGINT stop accepting, finish in-flight requests, close Redis, exit 0.
`;

const KEYS_HELP = `Usage: townhall keys create --scopes <s1,s2> [--name <name>]

Prints a new API key (once) and the lines that enable it in tinytown.toml or the environment.
Scopes: ${SCOPES.join(', ')} (admin implies all). --name labels the key (default: key-<date>).
`;

const VERSION = '0.1.0';

function fail(message: string, code = 2): never {
  process.stderr.write(`townhall: ${message}\n`);
  process.exit(code);
}

async function keysCreate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { scopes: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(KEYS_HELP);
    return;
  }
  if (!values.scopes) fail(`--scopes is required (any of ${SCOPES.join(', ')})`);
  const scopes = values.scopes
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    fail(`unknown scope ${unknown.map((s) => `'${s}'`).join(', ') || "''"}; use ${SCOPES.join(', ')}`);
  }
  const name = values.name?.trim() || `key-${new Date().toISOString().slice(0, 10)}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) fail('--name: use 1-64 letters, digits, ".", "_" or "-"');
  const key = generateApiKey();
  const hash = await hashApiKey(key);
  const entry = { name, hash, scopes: scopes as Scope[] };
  process.stdout.write(
    [
      'New API key (shown only this once; store it now):',
      '',
      `  ${key}`,
      '',
      'Add to tinytown.toml:',
      '',
      '[townhall.auth]',
      'mode = "api_key"',
      '',
      '[[townhall.auth.keys]]',
      `name = ${JSON.stringify(name)}`,
      `hash = ${JSON.stringify(hash)}`,
      `scopes = [${entry.scopes.map((scope) => JSON.stringify(scope)).join(', ')}]`,
      '',
      'Or, in the environment (adds to the file’s keys and turns on api_key auth):',
      '',
      `${KEYS_ENV}='${JSON.stringify([entry])}'`,
      '',
      'Use it as:  curl -H "Authorization: Bearer <key>" http://127.0.0.1:8080/v1/status',
      '',
    ].join('\n'),
  );
}

async function openapi(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: townhall openapi [--out <file>]   (default: print to stdout)\n');
    return;
  }
  const text = `${JSON.stringify(await exportOpenApi(), null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    process.stderr.write(`townhall: wrote ${values.out}\n`);
  } else {
    process.stdout.write(text);
  }
}

async function rest(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      town: { type: 'string', short: 't' },
      bind: { type: 'string', short: 'b' },
      port: { type: 'string', short: 'p' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      fail(`--port must be 0-65535, got '${values.port}'`);
  }
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const level = values['log-level'] ?? process.env.TOWNHALL_LOG_LEVEL ?? 'info';
  if (!(levels as readonly string[]).includes(level)) fail(`--log-level must be one of ${levels.join(', ')}`);
  await startRest({
    ...(values.town ? { townDir: values.town } : {}),
    ...(values.bind ? { bind: values.bind } : {}),
    ...(port !== undefined ? { port } : {}),
    logger: { level: level as (typeof levels)[number] },
    handleSignals: true,
  });
  stopWithSupervisor();
}

/**
 * Started by `tt up`, townhall holds an IPC channel to it: should tt up die without stopping it (SIGKILL,
 * a crash), the channel closes and townhall stops as on SIGTERM instead of running on unseen.
 */
function stopWithSupervisor(): void {
  // `process.send` marks a channel even after it closed (`process.channel` is null by then).
  if (typeof process.send !== 'function') return;
  process.channel?.unref();
  const stop = () => process.kill(process.pid, 'SIGTERM');
  // It may have gone while townhall was starting, before anyone listened.
  if (process.connected) process.once('disconnect', stop);
  else stop();
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest_] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (command === 'keys') {
    const [sub, ...args] = rest_;
    if (sub === 'create') return keysCreate(args);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(KEYS_HELP);
      return;
    }
    fail(
      sub === undefined
        ? `keys: name a command; try 'townhall keys create --scopes town.read'`
        : `unknown keys command '${sub}'; try 'townhall keys create --scopes town.read'`,
    );
  }
  if (command === 'openapi') return openapi(rest_);
  if (command === 'rest') return rest(rest_);
  if (command === undefined || command.startsWith('-')) return rest(argv);
  fail(`unknown command '${command}'; see 'townhall --help'`);
}

// `… | head` closes the pipe early: the reader is done, which is no failure worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main(process.argv.slice(2)).catch((error: unknown) => {
  if (isTinytownError(error)) fail(`${error.message} [${error.code}]`, 1);
  if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    fail(`${error.message}; see 'townhall --help'`);
  }
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
});
