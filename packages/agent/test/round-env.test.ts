import { describe, expect, it } from 'vitest';
import { buildRoundEnv } from '../src/round-env.js';

describe('buildRoundEnv', () => {
  it('layers inherited env, then the CLI env, then the agent identity', () => {
    const env = buildRoundEnv(
      { agentId: 'id-1', agentName: 'bob', town: 'shop', redisUrl: 'redis://x:1', townhallUrl: 'http://th' },
      { MODEL: 'big', TINYTOWN_AGENT_NAME: 'mallory' },
      { PATH: '/bin', MODEL: 'small', UNSET: undefined },
    );
    expect(env).toEqual({
      PATH: '/bin',
      MODEL: 'big',
      TINYTOWN_AGENT_ID: 'id-1',
      TINYTOWN_AGENT_NAME: 'bob',
      TINYTOWN_TOWN: 'shop',
      REDIS_URL: 'redis://x:1',
      TINYTOWN_TOWNHALL_URL: 'http://th',
    });
  });

  it('leaves REDIS_URL alone when the caller has none to pass', () => {
    const env = buildRoundEnv(
      { agentId: 'i', agentName: 'n', town: 't' },
      {},
      { REDIS_URL: 'redis://inherited' },
    );
    expect(env.REDIS_URL).toBe('redis://inherited');
    expect(env.TINYTOWN_TOWNHALL_URL).toBeUndefined();
  });
});
