import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTownConfig } from '../src/index.js';

describe('loadTownConfig', () => {
  const dirs: string[] = [];
  const townDir = (toml?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-config-'));
    dirs.push(dir);
    if (toml !== undefined) writeFileSync(join(dir, 'tinytown.toml'), toml);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads and validates tinytown.toml, filling defaults', () => {
    const dir = townDir(
      [
        'name = "alpha"',
        'max_agents = 4',
        '[townhall]',
        'rest_port = 9090',
        '[townhall.auth]',
        'mode = "api_key"',
        '[[townhall.auth.keys]]',
        'hash = "scrypt$abc$def"',
        'scopes = ["town.read"]',
        'name = "ci"',
      ].join('\n'),
    );
    const loaded = loadTownConfig(dir, {});
    expect(loaded.source).toBe('file');
    expect(loaded.root).toBe(dir);
    expect(loaded.config.name).toBe('alpha');
    expect(loaded.config.max_agents).toBe(4);
    expect(loaded.config.townhall?.rest_port).toBe(9090);
    expect(loaded.config.townhall?.bind).toBe('127.0.0.1');
    expect(loaded.config.townhall?.auth.keys[0]).toEqual({
      hash: 'scrypt$abc$def',
      scopes: ['town.read'],
      name: 'ci',
    });
    expect(loaded.redisUrl).toBe(`unix://${join(dir, '.tt/redis.sock')}`);
  });

  it('uses [redis] url, and REDIS_URL from the environment over it', () => {
    const dir = townDir('name = "alpha"\n[redis]\nurl = "redis://127.0.0.1:7000"\n');
    expect(loadTownConfig(dir, {}).redisUrl).toBe('redis://127.0.0.1:7000');
    expect(loadTownConfig(dir, { REDIS_URL: 'redis://other:6379/2' }).redisUrl).toBe('redis://other:6379/2');
    expect(loadTownConfig(dir, { REDIS_URL: '  ' }).redisUrl).toBe('redis://127.0.0.1:7000');
  });

  it('keeps an absolute socket path as it is', () => {
    const dir = townDir('name = "alpha"\n[redis]\nsocket_path = "/run/tt/redis.sock"\n');
    expect(loadTownConfig(dir, {}).redisUrl).toBe('unix:///run/tt/redis.sock');
  });

  it('reports unknown keys by their full name', () => {
    const dir = townDir('name = "alpha"\ncolour = "blue"\n[townhall]\nrate_limit = 3\n');
    let error: unknown;
    try {
      loadTownConfig(dir, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', category: 'invalid' });
    expect((error as Error).message).toContain('colour: unknown key');
    expect((error as Error).message).toContain('townhall.rate_limit: unknown key');
  });

  it('reports wrong types and bad names with the field', () => {
    expect(() => loadTownConfig(townDir('name = "alpha"\nmax_agents = "ten"\n'), {})).toThrow(/max_agents/);
    expect(() => loadTownConfig(townDir('name = "no spaces allowed"\n'), {})).toThrow(/name/);
    expect(() => loadTownConfig(townDir('max_agents = 3\n'), {})).toThrow(/name/);
  });

  it('reports TOML syntax errors with the position', () => {
    expect(() => loadTownConfig(townDir('name = \n'), {})).toThrow(/line 1/);
  });

  it('builds the config from TINYTOWN_TOWN and REDIS_URL when there is no file', () => {
    const dir = townDir();
    const loaded = loadTownConfig(dir, { TINYTOWN_TOWN: 'docker-town', REDIS_URL: 'redis://redis:6379/0' });
    expect(loaded.source).toBe('env');
    expect(loaded.config.name).toBe('docker-town');
    expect(loaded.config.max_agents).toBe(10);
    expect(loaded.redisUrl).toBe('redis://redis:6379/0');
    expect(loadTownConfig(dir, { TINYTOWN_TOWN: 'docker-town' }).redisUrl).toBe(
      `unix://${join(dir, '.tt/redis.sock')}`,
    );
    expect(() => loadTownConfig(dir, { TINYTOWN_TOWN: 'bad name' })).toThrow(
      `Invalid TINYTOWN_TOWN 'bad name': name: use 1-64 letters, digits, ".", "_" or "-"`,
    );
  });

  it('says how to initialise a town when there is neither a file nor TINYTOWN_TOWN', () => {
    const dir = townDir();
    let error: unknown;
    try {
      loadTownConfig(dir, { REDIS_URL: 'redis://x:6379' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'NOT_INITIALIZED' });
    expect((error as Error).message).toMatch(/tt init/);
    expect((error as Error).message).toMatch(/TINYTOWN_TOWN/);
  });
});
