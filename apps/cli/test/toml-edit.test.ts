import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { editTomlKey } from '../src/toml-edit.js';

const TOWN = `# A town.
name = "demo"
# The CLI.
default_cli = "claude"

[agent]
idle_timeout_secs = 300   # idle stop
max_rounds = 10           # rounds

# [redis]
# url = "redis://elsewhere:6379"
`;

/** Sets `key` to `value` as \`tt config\` does: the whole document as it must read, then the edit. */
function set(text: string, key: string, value: unknown): string {
  const path = key.split('.');
  const expected = parse(text) as Record<string, unknown>;
  let table = expected;
  for (const part of path.slice(0, -1)) {
    table[part] ??= {};
    table = table[part] as Record<string, unknown>;
  }
  table[path[path.length - 1] as string] = value;
  const edited = editTomlKey(text, path, expected);
  expect(parse(edited)).toEqual(expected);
  return edited;
}

describe('editTomlKey', () => {
  it('changes only the value of an existing key, keeping its comment and every other line', () => {
    expect(set(TOWN, 'agent.max_rounds', 3)).toBe(TOWN.replace('max_rounds = 10 ', 'max_rounds = 3 '));
    expect(set(TOWN, 'default_cli', 'codex')).toBe(TOWN.replace('"claude"', '"codex"'));
  });

  it('adds a new key to its table, and a new table at the end', () => {
    expect(set(TOWN, 'agent.lease_secs', 5)).toBe(
      TOWN.replace(
        'max_rounds = 10           # rounds\n',
        'max_rounds = 10           # rounds\nlease_secs = 5\n',
      ),
    );
    expect(set(TOWN, 'max_agents', 4)).toBe(
      TOWN.replace('default_cli = "claude"\n', 'default_cli = "claude"\nmax_agents = 4\n'),
    );
    expect(set(TOWN, 'townhall.rest_port', 8181)).toBe(`${TOWN}\n[townhall]\nrest_port = 8181\n`);
    expect(set(TOWN, 'agent_clis.my-ai', { command: 'my-ai --yes', env: { A: '1' } })).toBe(
      `${TOWN}\n[agent_clis.my-ai]\ncommand = "my-ai --yes"\n\n[agent_clis.my-ai.env]\nA = "1"\n`,
    );
  });

  it('replaces a whole table in place of the old one, keeping the comments about what follows', () => {
    const text = `${TOWN}\n[agent_clis.my-ai]\ncommand = "old"\n\n[agent_clis.my-ai.env]\nA = "1"\n\n# the end\n`;
    expect(set(text, 'agent_clis.my-ai', { command: 'new' })).toBe(
      `${TOWN}\n\n# the end\n\n[agent_clis.my-ai]\ncommand = "new"\n`,
    );
  });

  it('writes the document afresh when a line edit cannot say it (a multi-line value)', () => {
    const text = 'name = "x"\ntags = [\n  "a",\n]\n';
    expect(set(text, 'tags', ['b'])).toBe('name = "x"\ntags = [ "b" ]\n');
  });
});
