import { type Scope, TownConfig, type TownConfigInput } from '@tinytown/core';
import { createGitHubForge } from '@tinytown/mission';
import { Town } from '@tinytown/store';
import { type FakeGitHub, startFakeGitHub, useTestRedis } from '@tinytown/testkit';
import { buildServer, hashApiKey, type TownhallServer } from '@tinytown/townhall';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/** A real townhall on a free port over a private redis-server, fresh for every test. */
export function useTownhall(
  options: {
    keys?: { key: string; scopes: Scope[] }[];
    root?: string;
    rateLimits?: { read?: number; write?: number; manage?: number };
  } = {},
) {
  const redis = useTestRedis();
  let state: { town: Town; app: TownhallServer; baseUrl: string } | undefined;
  let github: FakeGitHub | undefined;
  beforeAll(async () => {
    github = await startFakeGitHub();
  });
  afterAll(async () => {
    await github?.close();
  });

  beforeEach(async () => {
    const town = await Town.connect({ url: redis.current.url, town: 'sdk' });
    const keys = await Promise.all(
      (options.keys ?? []).map(async ({ key, scopes }) => ({ hash: await hashApiKey(key), scopes })),
    );
    const townhall: NonNullable<TownConfigInput['townhall']> = {
      rate_limits: { read: 100_000, write: 100_000, manage: 100_000, ...options.rateLimits },
      ...(keys.length > 0 ? { auth: { mode: 'api_key', keys } } : {}),
    };
    const config = TownConfig.parse({ name: 'sdk', townhall });
    github?.reset();
    const app = await buildServer({
      town,
      config,
      root: options.root ?? '/srv/sdk',
      logger: false,
      processMetrics: false,
      forge: createGitHubForge({ baseUrl: github?.url ?? '' }),
    });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    state = { town, app, baseUrl };
  });
  afterEach(async () => {
    await state?.app.close();
    await state?.town.close();
    state = undefined;
  });

  return {
    get github(): FakeGitHub {
      if (!github) throw new Error('fake GitHub not started');
      return github;
    },
    get baseUrl(): string {
      if (!state) throw new Error('townhall not started');
      return state.baseUrl;
    },
  };
}
