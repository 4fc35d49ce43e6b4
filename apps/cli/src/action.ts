import { isTinytownError, TinytownError } from '@tinytown/core';
import type { Command } from 'commander';
import { CliContext } from './context.js';

/** Exit codes: 0 done, 1 failed, 2 the command line itself was wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

/**
 * A malformed id (INVALID_ID) can only have come from the command line: every id `tt` does not read
 * from the town is one the user typed, so it is a usage error like a bad option value.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (isTinytownError(error, 'INVALID_ID')) return EXIT_USAGE;
  if (isTinytownError(error) && error.code === 'INVALID_INPUT' && error.details.usage === true)
    return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** `tt task complete`: the words that run `command`. */
export function commandPath(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/** A usage error names the help of the command that was mistyped, as commander's own usage errors do. */
function withHelp(error: unknown, command: Command): unknown {
  const help = ` (see ${commandPath(command)} --help)`;
  if (isTinytownError(error)) {
    return new TinytownError(error.code, `${error.message}${help}`, { ...error.details }, { cause: error });
  }
  return error instanceof Error ? new UsageError(`${error.message}${help}`, { cause: error }) : error;
}

/**
 * Wraps a command's implementation: builds its context from the global options, prints any failure as one
 * line on stderr with a non-zero exit code, and closes the town connection afterwards.
 */
export function act<A extends unknown[]>(
  fn: (ctx: CliContext, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const ctx = CliContext.of(command);
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } catch (error) {
      const exitCode = exitCodeFor(error);
      ctx.out.error(exitCode === EXIT_USAGE ? withHelp(error, command) : error);
      process.exitCode = exitCode;
    } finally {
      await ctx.close().catch(() => {});
    }
  };
}

/** Adds an example section to a command's --help. */
export function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/** What an agent argument takes, said the same way by every command. */
export const AGENT_REF = "an agent's name, nickname, short id or id";
