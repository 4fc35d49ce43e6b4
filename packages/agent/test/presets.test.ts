import { type AgentCliConfig, isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { CLI_PRESETS, resolveAgentCli } from '../src/presets.js';

const custom = (config: Partial<AgentCliConfig> & { command: string }): AgentCliConfig => ({
  env: {},
  ...config,
});

describe('resolveAgentCli', () => {
  it('resolves every preset to argv without a shell', () => {
    for (const name of Object.keys(CLI_PRESETS)) {
      const cli = resolveAgentCli(name);
      expect(cli.name).toBe(name);
      expect(cli.argv.length).toBeGreaterThan(0);
      expect(cli.argv).not.toContain('sh');
      expect(cli.argv).not.toContain('|');
    }
  });

  it('feeds claude its prompt on stdin', () => {
    expect(resolveAgentCli('claude')).toEqual({
      name: 'claude',
      argv: ['claude', '--print', '--dangerously-skip-permissions'],
      promptVia: 'stdin',
      env: {},
      workdir: undefined,
    });
  });

  it('gives aider the prompt through --message-file, with no dangling --message', () => {
    const aider = resolveAgentCli('aider');
    expect(aider.argv).toEqual(['aider', '--yes', '--no-auto-commits']);
    expect(aider.argv).not.toContain('--message');
    expect(aider.promptVia).toEqual({ flag: '--message-file' });
  });

  it('gives auggie its prompt through --instruction-file', () => {
    expect(resolveAgentCli('auggie').promptVia).toEqual({ flag: '--instruction-file' });
  });

  it('unquotes the codex-mini config override', () => {
    expect(resolveAgentCli('codex-mini').argv).toEqual([
      'codex',
      'exec',
      '--dangerously-bypass-approvals-and-sandbox',
      '-m',
      'gpt-5.4-mini',
      '-c',
      'model_reasoning_effort=medium',
    ]);
  });

  it('defaults an empty or missing reference to claude and ignores case and padding', () => {
    expect(resolveAgentCli('').name).toBe('claude');
    expect(resolveAgentCli(null).name).toBe('claude');
    expect(resolveAgentCli('  Codex ').name).toBe('codex');
  });

  it('maps a legacy full command back to its preset', () => {
    expect(resolveAgentCli('codex exec  --dangerously-bypass-approvals-and-sandbox').name).toBe('codex');
  });

  it('uses a custom agent_clis entry with its prompt flag, env and workdir', () => {
    const cli = resolveAgentCli('my-ai', {
      'my-ai': custom({
        command: `my-ai --mode 'non interactive' --fast`,
        prompt_flag: '--prompt-file',
        workdir: 'services/api',
        env: { MY_AI_MODEL: 'large' },
      }),
    });
    expect(cli).toEqual({
      name: 'my-ai',
      argv: ['my-ai', '--mode', 'non interactive', '--fast'],
      promptVia: { flag: '--prompt-file' },
      env: { MY_AI_MODEL: 'large' },
      workdir: 'services/api',
    });
  });

  it('feeds a custom CLI without prompt_flag on stdin', () => {
    expect(resolveAgentCli('plain', { plain: custom({ command: 'plain-ai' }) }).promptVia).toBe('stdin');
  });

  it('lets a town entry override a preset of the same name', () => {
    const cli = resolveAgentCli('claude', { claude: custom({ command: 'claude --print --model opus' }) });
    expect(cli.argv).toEqual(['claude', '--print', '--model', 'opus']);
  });

  it('refuses an unknown CLI instead of running it as a command, listing the known ones', () => {
    let caught: unknown;
    try {
      resolveAgentCli('rm -rf ~', { mine: custom({ command: 'mine' }) });
    } catch (error) {
      caught = error;
    }
    expect(isTinytownError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('claude');
    expect((caught as Error).message).toContain('mine');
    expect((caught as Error).message).toContain('[agent_clis.');
  });

  it('refuses a custom command that relies on a shell', () => {
    expect(() => resolveAgentCli('piped', { piped: custom({ command: 'cat prompt.md | my-ai' }) })).toThrow(
      /shell operator/,
    );
  });
});
