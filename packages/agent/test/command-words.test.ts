import { isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../src/command-words.js';

describe('splitCommandLine', () => {
  it('splits on any run of whitespace', () => {
    expect(splitCommandLine('  claude   --print\t--dangerously-skip-permissions \n')).toEqual([
      'claude',
      '--print',
      '--dangerously-skip-permissions',
    ]);
  });

  it('keeps single-quoted text literally, spaces and backslashes included', () => {
    expect(splitCommandLine(`tool --title 'a b\\c "d"'`)).toEqual(['tool', '--title', 'a b\\c "d"']);
  });

  it('unescapes \\" and \\\\ inside double quotes and drops the quotes', () => {
    expect(splitCommandLine('codex -c model_reasoning_effort="medium" "say \\"hi\\" \\\\ now"')).toEqual([
      'codex',
      '-c',
      'model_reasoning_effort=medium',
      'say "hi" \\ now',
    ]);
  });

  it('joins adjacent quoted and bare parts into one word and keeps empty quoted words', () => {
    expect(splitCommandLine(`a"b c"'d e'f '' ""`)).toEqual(['ab cd ef', '', '']);
  });

  it('lets a backslash escape a space outside quotes', () => {
    expect(splitCommandLine('run my\\ file')).toEqual(['run', 'my file']);
  });

  it('returns no words for an empty command', () => {
    expect(splitCommandLine('   ')).toEqual([]);
  });

  it.each([
    ["tool 'open", 'unterminated single quote'],
    ['tool "open', 'unterminated double quote'],
    ['tool \\', 'trailing backslash'],
    ['cat prompt | claude', "shell operator '|'"],
    ['claude; rm -rf /', "shell operator ';'"],
    ['claude > out.txt', "shell operator '>'"],
    ['claude && x', "shell operator '&'"],
    ['claude `id`', "shell operator '`'"],
    ['claude $(touch x)', 'expansion'],
    ['claude --key $API_KEY', 'expansion'],
    ['claude "$HOME"', 'expansion'],
  ])('refuses %s (%s)', (command, reason) => {
    let caught: unknown;
    try {
      splitCommandLine(command);
    } catch (error) {
      caught = error;
    }
    expect(isTinytownError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain(reason);
  });

  it('allows operators and dollars when quoted with single quotes', () => {
    expect(splitCommandLine(`tool '$(x) | y; z'`)).toEqual(['tool', '$(x) | y; z']);
  });
});
