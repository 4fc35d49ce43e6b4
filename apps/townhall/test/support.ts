import { TownConfig, type TownConfigInput } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { dumpKeys as dumpAllKeys, type TestRedis, useTestRedis } from '@tinytown/testkit';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  type BuildServerOptions,
  buildServer,
  generateApiKey,
  hashApiKey,
  type LogDestination,
  type TownhallServer,
} from '../src/index.js';

export type TownhallSection = NonNullable<TownConfigInput['townhall']>;

export interface Harness {
  readonly town: Town;
  readonly app: TownhallServer;
  readonly base: string;
  readonly redis: TestRedis;
  /** Log lines the server wrote during the current test. */
  readonly logs: string[];
}

export interface HarnessOptions {
  townhall?: TownhallSection;
  config?: Omit<TownConfigInput, 'name' | 'townhall'>;
  /** Extra server options, or a function giving them when each test's server starts. */
  server?: ServerExtras | (() => ServerExtras);
}

export type ServerExtras = Partial<Omit<BuildServerOptions, 'town' | 'config' | 'logger'>>;

export function makeConfig(townhall: TownhallSection = {}, extra: HarnessOptions['config'] = {}): TownConfig {
  return TownConfig.parse({
    name: 'hall',
    ...extra,
    townhall: { rate_limits: { read: 100_000, write: 100_000, manage: 100_000 }, ...townhall },
  });
}

export function connectTown(redis: TestRedis, name = 'hall'): Promise<Town> {
  return Town.connect({
    url: redis.url,
    town: name,
    maxRetriesPerRequest: 1,
    connectionName: 'townhall-test',
  });
}

/** Starts a real listening townhall on 127.0.0.1:<free port> over a private redis-server, per test. */
export function useTownhall(options: HarnessOptions = {}): Harness {
  const redis = useTestRedis();
  let state: { town: Town; app: TownhallServer; base: string } | undefined;
  const logs: string[] = [];
  const destination: LogDestination = { write: (line) => void logs.push(line) };

  beforeEach(async () => {
    logs.length = 0;
    const town = await connectTown(redis.current);
    const app = await buildServer({
      town,
      config: makeConfig(options.townhall, options.config),
      root: '/srv/town',
      logger: { level: 'info', destination },
      processMetrics: false,
      checkResponses: true,
      ...(typeof options.server === 'function' ? options.server() : options.server),
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    state = { town, app, base };
  });
  afterEach(async () => {
    if (!state) return;
    await state.app.close();
    await state.town.close();
    state = undefined;
  });
  afterAll(async () => {
    await state?.town.close();
  });

  const current = () => {
    if (!state) throw new Error('townhall not started');
    return state;
  };
  return {
    get town() {
      return current().town;
    },
    get app() {
      return current().app;
    },
    get base() {
      return current().base;
    },
    get redis() {
      return redis.current;
    },
    logs,
  };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are checked field by field
  json: any;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is, with no JSON encoding. */
  raw?: string;
  headers?: Record<string, string>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Every key of the town and its content, except the rate limiter's counters. */
export function dumpKeys(client: TestRedis['client']): Promise<Record<string, unknown>> {
  return dumpAllKeys(client, (key) => key.includes(':ratelimit:'));
}

export function expectProblem(response: ApiResponse, status: number, code?: string): void {
  if (
    response.status !== status ||
    !response.headers.get('content-type')?.startsWith('application/problem+json')
  ) {
    throw new Error(
      `expected a ${status} problem, got ${response.status} ${response.headers.get('content-type')}: ${response.text}`,
    );
  }
  const body = response.json as Record<string, unknown>;
  for (const field of ['type', 'title', 'status', 'detail', 'code']) {
    if (!(field in body)) throw new Error(`problem without ${field}: ${response.text}`);
  }
  if (body.status !== status) throw new Error(`problem status ${String(body.status)} != ${status}`);
  if (code && body.code !== code)
    throw new Error(`expected code ${code}, got ${String(body.code)}: ${response.text}`);
}

/**
 * One API key per scope (reader, writer, manager, admin) and the `[townhall]` section that accepts
 * them; the keys are hashed before the file's tests start.
 */
export function useScopedKeys() {
  const keys = {
    reader: generateApiKey(),
    writer: generateApiKey(),
    manager: generateApiKey(),
    admin: generateApiKey(),
  };
  const section: TownhallSection = { auth: { mode: 'api_key', keys: [] } };
  beforeAll(async () => {
    section.auth = {
      mode: 'api_key',
      keys: [
        { name: 'reader', scopes: ['town.read'], hash: await hashApiKey(keys.reader) },
        { name: 'writer', scopes: ['town.write'], hash: await hashApiKey(keys.writer) },
        { name: 'manager', scopes: ['agent.manage'], hash: await hashApiKey(keys.manager) },
        { name: 'root', scopes: ['admin'], hash: await hashApiKey(keys.admin) },
      ],
    };
  });
  return { keys, section };
}
