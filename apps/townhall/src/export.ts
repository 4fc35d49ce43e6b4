import { TownConfig } from '@tinytown/core';
import { openRedis, Town } from '@tinytown/store';
import { buildServer } from './server.js';

/** Nothing may reach these: the export builds the server over connections that are never used. */
const NOWHERE = 'redis://127.0.0.1:1';

/**
 * The OpenAPI document townhall serves at `/openapi.json`, built without Redis: the server is built over
 * a Town whose connection is never opened (lazy), and the document is fetched in-process. Default
 * settings, so the output does not depend on the town it is run in.
 */
export async function exportOpenApi(): Promise<Record<string, unknown>> {
  const redis = openRedis(NOWHERE, { maxRetriesPerRequest: 0 });
  try {
    const app = await buildServer({
      town: Town.over(redis, 'openapi'),
      config: TownConfig.parse({ name: 'openapi' }),
      root: '/',
      logger: false,
      processMetrics: false,
      rateLimits: false,
      forge: null,
      missionsActive: async () => 0,
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' });
      if (response.statusCode !== 200) {
        throw new Error(`/openapi.json answered ${response.statusCode}: ${response.body}`);
      }
      if (redis.status !== 'wait') {
        throw new Error(`building the document touched Redis (connection ${redis.status})`);
      }
      return response.json();
    } finally {
      await app.close();
    }
  } finally {
    redis.disconnect();
  }
}
