import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { useScopedKeys, useTownhall } from './support.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The shell block under "### Examples", one command a line (continued lines joined), placeholders left out. */
function exampleCommands(): string[] {
  const section = readme.slice(readme.indexOf('### Examples'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const commands: string[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    pending = pending ? `${pending.replace(/\\$/, '')}\n${line}` : line;
    const openQuote = (pending.match(/'/g) ?? []).length % 2 === 1;
    if (openQuote || pending.endsWith('\\')) continue;
    commands.push(pending);
    pending = '';
  }
  return commands
    .map((command) => command.replace(/\s+#.*$/, ''))
    .filter((command) => command.trim() && !/<[a-z_]+>/.test(command));
}

describe('the README curl examples, pasted into bash against townhall in api_key mode', () => {
  const { keys, section } = useScopedKeys();
  const h = useTownhall({ townhall: section, server: { forge: null } });
  const dir = mkdtempSync(join(tmpdir(), 'tt-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('authenticate every call with the key, as the block says', async () => {
    const realCurl = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
    expect(realCurl, 'curl must be installed').not.toBe('');
    // A curl first on PATH that records each call's status instead of printing the body.
    const codes = join(dir, 'codes');
    writeFileSync(codes, '');
    writeFileSync(
      join(dir, 'curl'),
      `#!/bin/sh\nexec ${realCurl} -s -o /dev/null -w '%{http_code} %{url_effective}\\n' "$@" >> ${codes}\n`,
    );
    chmodSync(join(dir, 'curl'), 0o755);
    const commands = exampleCommands();
    expect(commands.length).toBeGreaterThan(30);
    const script = [`KEY=${keys.admin}`, ...commands].join('\n').replaceAll('http://127.0.0.1:8080', h.base);
    // Not spawnSync: townhall runs in this process and must answer meanwhile.
    const run = await promisify(execFile)('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    });
    expect(run.stderr).toBe('');
    const calls = readFileSync(codes, 'utf8').trim().split('\n');
    expect(calls.length).toBeGreaterThan(30);
    const refused = calls.filter((line) => /^(401|403|5\d\d) /.test(line));
    expect(refused).toEqual([]);
  });
});
