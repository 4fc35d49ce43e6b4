import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportOpenApi } from '../src/index.js';
import { call, useTownhall } from './support.js';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** Nothing listens there: the export must not need it. */
const env = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', TINYTOWN_TOWN: 'nowhere' };

describe('townhall openapi', () => {
  const h = useTownhall();

  it('exports the served document without Redis', async () => {
    const served = (await call(h.base, 'GET', '/openapi.json')).json;
    const started = Date.now();
    const exported = await exportOpenApi();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exported).toEqual(served);
    expect(Object.keys(served.paths)).toContain('/v1/missions/{mission_id}/watches/{watch_id}/snooze');
  });

  it('prints it, or writes it with --out; --help names the command', async () => {
    const expected = await exportOpenApi();
    const printed = spawnSync(process.execPath, [BIN, 'openapi'], { env, encoding: 'utf8', timeout: 20_000 });
    expect(printed.status, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'townhall-openapi-'));
    try {
      const out = join(dir, 'openapi.json');
      const written = spawnSync(process.execPath, [BIN, 'openapi', '--out', out], {
        env,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(written.status, written.stderr).toBe(0);
      expect(written.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe(printed.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/townhall openapi \[--out <file>\]/);
    const bad = spawnSync(process.execPath, [BIN, 'openapi', '--bogus'], { env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
