import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isTinytownError } from '@tinytown/core';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable, requireInstalledCli } from '../src/cli-executable.js';
import { resolveAgentCli } from '../src/presets.js';
import { thrown } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'tt-exec-'));
const bin = join(root, 'bin');
const other = join(root, 'other');
mkdirSync(bin);
mkdirSync(other);
const script = (dir: string, name: string, mode: number) => {
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, mode);
  return file;
};
const myAi = script(bin, 'my-ai', 0o755);
script(bin, 'not-executable', 0o644);
mkdirSync(join(bin, 'a-directory'));
const inOther = script(other, 'my-ai', 0o755);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findExecutable', () => {
  it('looks a bare name up along PATH, first match first', () => {
    expect(findExecutable('my-ai', { cwd: root, path: [bin, other].join(delimiter) })).toBe(myAi);
    expect(findExecutable('my-ai', { cwd: root, path: [other, bin].join(delimiter) })).toBe(inOther);
    expect(findExecutable('my-ai', { cwd: root, path: other })).toBe(inOther);
    expect(findExecutable('my-ai', { cwd: root, path: '' })).toBeUndefined();
    expect(findExecutable('my-ai', { cwd: root, path: undefined })).toBeUndefined();
  });

  it('skips files that cannot be executed and directories', () => {
    expect(findExecutable('not-executable', { cwd: root, path: bin })).toBeUndefined();
    expect(findExecutable('a-directory', { cwd: root, path: bin })).toBeUndefined();
  });

  it('takes a name with a slash as a path, relative to the working directory', () => {
    expect(findExecutable(myAi, { cwd: '/', path: '' })).toBe(myAi);
    expect(findExecutable('./bin/my-ai', { cwd: root, path: '' })).toBe(myAi);
    expect(findExecutable('./my-ai', { cwd: root, path: bin })).toBeUndefined();
  });
});

describe('requireInstalledCli', () => {
  it('accepts a CLI whose program is found, with its own PATH and workdir', () => {
    const cli = resolveAgentCli('mine', { mine: { command: 'my-ai --yes', env: { PATH: bin } } });
    expect(requireInstalledCli(cli, { townRoot: root, env: { PATH: '' } })).toBe(myAi);
    const relative = resolveAgentCli('rel', { rel: { command: './my-ai', workdir: 'other', env: {} } });
    expect(requireInstalledCli(relative, { townRoot: root, env: {} })).toBe(inOther);
  });

  it('refuses a CLI that is not installed, naming the program and what to do', () => {
    const caught = thrown(() =>
      requireInstalledCli(resolveAgentCli('claude'), { townRoot: root, env: { PATH: bin } }),
    );
    expect(isTinytownError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toBe(
      "The 'claude' CLI is not installed here: no executable 'claude' on PATH. Install it, set command in [agent_clis.claude] in tinytown.toml to run it from where it is, or choose another CLI (--cli, or default_cli in tinytown.toml)",
    );
    const dotted = resolveAgentCli('my.ai', { 'my.ai': { command: 'no-such-ai', env: {} } });
    expect(() => requireInstalledCli(dotted, { townRoot: root, env: { PATH: bin } })).toThrow(
      'set command in [agent_clis."my.ai"] in tinytown.toml',
    );
    const missing = resolveAgentCli('gone', { gone: { command: './nowhere/ai', env: {} } });
    expect(() => requireInstalledCli(missing, { townRoot: root, env: {} })).toThrow(
      `no executable './nowhere/ai' at ${join(root, 'nowhere/ai')}`,
    );
  });

  it('refuses a CLI whose workdir is missing, naming the setting, where spawn would only say ENOENT', () => {
    const cli = resolveAgentCli('moved', { moved: { command: 'my-ai', workdir: 'gone', env: {} } });
    const caught = thrown(() => requireInstalledCli(cli, { townRoot: root, env: { PATH: bin } }));
    expect(isTinytownError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toBe(
      `The 'moved' CLI cannot run here: its working directory ${join(root, 'gone')} is not a directory. Create it, or change workdir in [agent_clis.moved] in tinytown.toml`,
    );
  });
});
