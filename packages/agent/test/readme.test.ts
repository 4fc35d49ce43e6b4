import { itCompilesEveryReadmeExample, readmeConsumer } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';

const readme = readmeConsumer(import.meta.url);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  itCompilesEveryReadmeExample(readme);

  it('optional options take undefined (a value passed through) with exactOptionalPropertyTypes', () => {
    const source = `import { runAgentLoop } from '@tinytown/agent';
import type { Town } from '@tinytown/store';
export function run(town: Town, agentId: string, env: Record<string, string | undefined>) {
  return runAgentLoop({
    town,
    agentId,
    townRoot: '.',
    settings: { maxRounds: 10, idleTimeoutMs: 0, roundTimeoutMs: 60_000, autoClaim: false, keepRoundLogs: undefined },
    redisUrl: env.REDIS_URL,
    townhallUrl: env.TINYTOWN_TOWNHALL_URL,
    signal: undefined,
    log: undefined,
  });
}
`;
    expect(readme.diagnostics(source)).toEqual([]);
  });
});
