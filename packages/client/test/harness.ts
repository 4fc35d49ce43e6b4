import { type Scope, TownConfig, type TownConfigInput } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { useTestRedis } from '@tinytown/testkit';
import { buildServer, hashApiKey, type TownhallServer } from '@tinytown/townhall';
import { afterEach, beforeEach } from 'vitest';

/** A real townhall on a free port over a private redis-server, fresh for every test. */
export function useTownhall(options: { keys?: { key: string; scopes: Scope[] }[] } = {}) {
  const redis = useTestRedis();
  let state: { town: Town; app: TownhallServer; baseUrl: string } | undefined;

  beforeEach(async () => {
    const town = await Town.connect({ url: redis.current.url, town: 'sdk' });
    const keys = await Promise.all(
      (options.keys ?? []).map(async ({ key, scopes }) => ({ hash: await hashApiKey(key), scopes })),
    );
    const townhall: NonNullable<TownConfigInput['townhall']> = {
      rate_limits: { read: 100_000, write: 100_000, manage: 100_000 },
      ...(keys.length > 0 ? { auth: { mode: 'api_key', keys } } : {}),
    };
    const config = TownConfig.parse({ name: 'sdk', townhall });
    const app = await buildServer({ town, config, root: '/srv/sdk', logger: false, processMetrics: false });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    state = { town, app, baseUrl };
  });
  afterEach(async () => {
    await state?.app.close();
    await state?.town.close();
    state = undefined;
  });

  return {
    get baseUrl(): string {
      if (!state) throw new Error('townhall not started');
      return state.baseUrl;
    },
  };
}
