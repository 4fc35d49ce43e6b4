import { consumerDiagnostics, readmeExamples } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url);
const examples = readmeExamples(new URL('../README.md', import.meta.url));
const diagnostics = (source: string) => consumerDiagnostics(packageDir, source);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  it('compiles every example', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(diagnostics(example)).toEqual([]);
  });

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
    expect(diagnostics(source)).toEqual([]);
  });
});
