import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TownConfig } from '@tinytown/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setConfigKey } from '../src/config-keys.js';

let dir: string;
let file: string;
const ORIGINAL = '# my town\nname = "keys"\n';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tt-config-keys-'));
  file = join(dir, 'tinytown.toml');
  await writeFile(file, ORIGINAL);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('setConfigKey', () => {
  it('takes a table written as TOML, as the file itself writes it, or as JSON', async () => {
    const toml = setConfigKey(
      file,
      TownConfig,
      'agent_clis.mine',
      '{ command = "my-ai --yes", env = { A = "1" } }',
    );
    expect(toml).toEqual({ command: 'my-ai --yes', env: { A: '1' } });
    const json = setConfigKey(file, TownConfig, 'agent_clis.other', '{"command": "other-ai"}');
    expect(json).toMatchObject({ command: 'other-ai' });
    const text = await readFile(file, 'utf8');
    expect(text.startsWith(ORIGINAL)).toBe(true);
    expect(text).toContain('my-ai --yes');
    expect(text).toContain('other-ai');
  });

  it('takes lists as TOML too, and keeps text that only starts like one as text', () => {
    expect(setConfigKey(file, TownConfig, 'townhall.trust_proxy', "['10.0.0.0/8', '127.0.0.1']")).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(setConfigKey(file, TownConfig, 'agent_clis.test.command', '[ -x ./ai ] && ./ai')).toBe(
      '[ -x ./ai ] && ./ai',
    );
  });

  it('names the key and the value refused once, then why', () => {
    expect(() => setConfigKey(file, TownConfig, 'agent.max_rounds', '5.5')).toThrow(
      /^Cannot set agent\.max_rounds to '5\.5': (?!agent\.max_rounds)\S/,
    );
    // A problem elsewhere than the key itself still says where.
    expect(() => setConfigKey(file, TownConfig, 'agent.nosuch', '1')).toThrow(
      /^Cannot set agent\.nosuch to '1': agent: .*nosuch/,
    );
  });

  it('says why a table that is neither JSON nor TOML was refused, and leaves the file as it was', async () => {
    expect(() => setConfigKey(file, TownConfig, 'agent_clis.broken', '{ command: my-ai }')).toThrow(
      /Cannot set agent_clis\.broken to '\{ command: my-ai \}': .*; the value is neither JSON nor TOML/,
    );
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
  });
});
