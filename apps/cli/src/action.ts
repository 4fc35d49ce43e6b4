import { isTinytownError } from '@tinytown/core';
import type { Command } from 'commander';
import { CliContext } from './context.js';

/** Exit codes: 0 done, 1 failed, 2 the command line itself was wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (isTinytownError(error) && error.code === 'INVALID_INPUT' && error.details.usage === true)
    return EXIT_USAGE;
  return EXIT_FAILURE;
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
      ctx.out.error(error);
      process.exitCode = exitCodeFor(error);
    } finally {
      await ctx.close().catch(() => {});
    }
  };
}

/** Adds an example section to a command's --help. */
export function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}
