import { TinytownError } from '@tinytown/core';

/**
 * Characters a shell would treat as syntax. Agent CLIs are spawned without a shell, so an unquoted
 * pipe or redirect would silently become a literal argument; refusing it tells the user at config time.
 */
const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '`', '(', ')']);

function refuse(command: string, reason: string): TinytownError {
  return new TinytownError('CONFIG_INVALID', `Cannot split command '${command}': ${reason}`, {
    field: 'command',
    command,
  });
}

/**
 * Splits a command line into argv the way a POSIX shell would for plain words and quotes — nothing more.
 * Single quotes keep everything literally; double quotes allow `\"` and `\\`; a backslash outside quotes
 * escapes the next character. Expansions (`$VAR`, `$(…)`, globs are left literal) and operators are
 * refused rather than half-supported, because no shell will ever see this string.
 */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const ch = command[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      i += 1;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end === -1) throw refuse(command, 'unterminated single quote');
      current += command.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      i += 1;
      let closed = false;
      while (i < command.length) {
        const inner = command[i]!;
        if (inner === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (inner === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) {
          current += command[i + 1];
          i += 2;
          continue;
        }
        if (inner === '$' || inner === '`') {
          throw refuse(command, 'variable and command expansion are not supported (use the env table)');
        }
        current += inner;
        i += 1;
      }
      if (!closed) throw refuse(command, 'unterminated double quote');
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= command.length) throw refuse(command, 'trailing backslash');
      current += command[i + 1];
      i += 2;
      continue;
    }
    if (ch === '$') {
      throw refuse(command, 'variable and command expansion are not supported (use the env table)');
    }
    if (SHELL_OPERATORS.has(ch)) {
      throw refuse(command, `shell operator '${ch}' is not supported: commands run without a shell`);
    }
    current += ch;
    i += 1;
  }
  if (inWord) words.push(current);
  return words;
}
