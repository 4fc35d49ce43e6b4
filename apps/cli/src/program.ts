import { createRequire } from 'node:module';
import { TinytownError } from '@tinytown/core';
import { Command, CommanderError } from 'commander';
import { commandPath, EXIT_USAGE } from './action.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerConductorCommand } from './commands/conductor.js';
import { registerMissionCommands } from './commands/mission.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerTownCommands } from './commands/town.js';
import { registerUpCommand } from './commands/up.js';
import { registerWorkCommands } from './commands/work.js';
import type { GlobalOptions } from './context.js';
import { Output } from './output.js';

function version(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** The `tt` command tree. */
export function buildProgram(): Command {
  const program = new Command('tt')
    .description('Tinytown: a town of AI coding agents on Redis')
    .version(version(), '-V, --version')
    .option('-t, --town <dir>', 'the town directory (default: $TT_TOWN, else the current directory)')
    .option('--json', 'print the result as one JSON document')
    .option('-v, --verbose', 'on failure, also show the error code, its details and causes')
    .addHelpText(
      'after',
      `
Examples:
  $ tt init && tt up                      # a town in this repository, running in the foreground
  $ tt spawn backend --role backend       # an agent driving the default AI CLI
  $ tt assign backend "Add pagination to GET /orders"
  $ tt status --json

Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.`,
    );
  registerTownCommands(program);
  registerUpCommand(program);
  registerAgentCommands(program);
  registerWorkCommands(program);
  registerPlanCommands(program);
  registerConductorCommand(program);
  registerMissionCommands(program);

  // Usage errors exit 2 with one line that names the help of the command that was mistyped, keeping
  // commander's guess at a typo (`(Did you mean status?)`, on a line of its own) on that line. Under
  // --json that line is the JSON error object, as for every other failure.
  const configure = (command: Command) => {
    command.exitOverride();
    const help = `${commandPath(command)} --help`;
    command.configureOutput({
      outputError: (text) => {
        const [first = '', ...rest] = text.trim().split('\n');
        const guess = rest.map((line) => /^\((Did you mean .*\?)\)$/.exec(line.trim())?.[1]).find(Boolean);
        const message = `${first.replace(/^error: /, '')}${guess ? `; ${guess.charAt(0).toLowerCase()}${guess.slice(1)}` : ''} (see ${help})`;
        const { json, verbose } = program.opts<GlobalOptions>();
        new Output(json === true, verbose === true).error(
          new TinytownError('INVALID_INPUT', message, { usage: true }),
        );
      },
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs `tt` with the given argv (process.argv shape). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // `tt … | head` closes the pipe early: the reader is done, which is no failure worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; a wrong command line (or no command at all) exits 2.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    new Output(argv.includes('--json'), argv.includes('--verbose') || argv.includes('-v')).error(error);
    process.exitCode = 1;
  }
}
