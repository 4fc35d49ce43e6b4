import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DEMO = resolve(import.meta.dirname, '../../../examples/demo.mjs');

describe('pnpm demo', () => {
  it('runs two echo agents through five tasks in under a minute and leaves nothing running', async () => {
    const started = Date.now();
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile(
        process.execPath,
        [DEMO],
        { timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } },
        (error, out) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out }),
      );
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('All tasks completed.');
    expect(stdout).toMatch(/5 total: 0 pending \(0 in the backlog\), 0 in flight, 5 completed/);
    expect(stdout).toContain("Stopped the agents and the town's redis-server.");
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 100_000);
});
