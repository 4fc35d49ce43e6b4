import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PRESETS, requireInstalledCli, splitCommandLine } from '@tinytown/agent';
import {
  type AgentCliConfig,
  agentStateLabel,
  displayLabel,
  isTerminalAgentState,
  plural,
  TinytownError,
} from '@tinytown/core';
import type { Town } from '@tinytown/store';
import type { Command } from 'commander';
import { act, examples } from '../action.js';
import { activeMissions, describeMission } from '../active-missions.js';
import { ensureTtShim, townPaths } from '../processes.js';

/**
 * How each CLI starts an interactive session that opens with our briefing. The original passed the
 * briefing file to `claude --resume`, which expects a session id; here the briefing is the first prompt.
 */
export function conductorArgv(
  cli: string,
  briefing: string,
  contextFile: string,
  agentClis: Readonly<Record<string, AgentCliConfig>>,
): string[] {
  const custom = Object.entries(agentClis).find(([name]) => name.toLowerCase() === cli.toLowerCase());
  if (custom) {
    const [, config] = custom;
    const argv = splitCommandLine(config.command);
    return config.prompt_flag ? [...argv, config.prompt_flag, contextFile] : [...argv, briefing];
  }
  switch (cli.toLowerCase()) {
    case 'claude':
      return ['claude', briefing];
    case 'codex':
      return ['codex', briefing];
    case 'codex-mini':
      return ['codex', '-m', 'gpt-5.4-mini', briefing];
    case 'aider':
      // Interactive aider with the briefing loaded as read-only context.
      return ['aider', '--read', contextFile];
    case 'auggie':
      return ['auggie', '--instruction-file', contextFile];
    case 'gemini':
      return ['gemini', '--prompt-interactive', briefing];
    case 'copilot':
      return ['copilot', '--interactive', briefing];
    case 'cursor':
      return ['cursor-agent', briefing];
    default:
      throw new TinytownError(
        'CONFIG_INVALID',
        `Unknown conductor CLI '${cli}'. Use one of: ${Object.keys(CLI_PRESETS).join(', ')}, or an [agent_clis] entry`,
        { field: 'cli' },
      );
  }
}

export async function conductorBriefing(town: Town, root: string): Promise<string> {
  const [agents, backlog, tasks, missions] = await Promise.all([
    town.agents.list(),
    town.backlog.length(),
    town.tasks.list(),
    activeMissions(town),
  ]);
  const live = agents.filter((agent) => !isTerminalAgentState(agent.state));
  const open = tasks.filter((task) => ['assigned', 'running'].includes(task.state)).length;
  const lines = [
    `# You are the conductor of the Tinytown town \`${town.name}\``,
    '',
    'You coordinate a team of AI coding agents for the human you are talking to. The agents run in the',
    'background; you staff the town, hand out work, watch progress and report back. You act through the',
    '`tt` command (already on your PATH and pointed at this town).',
    '',
    '## The town right now',
    '',
    `- Directory: \`${root}\``,
    `- Agents: ${agents.length} (${live.length} running)`,
    ...agents.map(
      (agent) =>
        `  - ${displayLabel(agent)} — \`${agent.name}\`, ${agentStateLabel(agent.state)}, ${plural(agent.inbox_len + agent.urgent_len, 'queued message')}, ${plural(agent.tasks_completed, 'task')} done`,
    ),
    `- Tasks: ${tasks.length} total, ${open} in flight, ${backlog} waiting in the backlog`,
    `- Missions: ${missions.length} active`,
    ...missions.map((mission) => `  - \`${mission.id.slice(0, 8)}\` ${describeMission(mission)}`),
    '',
  ];
  if (agents.length === 0) {
    lines.push(
      '## Fresh start',
      '',
      '1. Ask what the human wants built, and whether there are design docs or issues to read.',
      '2. Read the codebase enough to split the goal into tasks a single agent can finish.',
      '3. Propose a team (for example backend, frontend, tester, and always a reviewer), then spawn it.',
      '4. Assign clear tasks; park unclear or later work in the backlog.',
    );
  } else {
    lines.push(
      '## Resuming',
      '',
      'Start with `tt status --deep` and `tt inbox conductor`, summarise where things stand for the human,',
      'then decide: keep going, reassign, spawn more agents, or stop idle ones.',
    );
  }
  lines.push(
    '',
    '## Commands',
    '',
    '```sh',
    'tt spawn <name> --role <role> [--cli <cli>]   # start an agent (roles: backend, frontend, tester, reviewer, docs, devops, security)',
    'tt assign <agent> "<task>"                     # a task for one agent (be specific: files, acceptance criteria)',
    'tt backlog add "<task>" --tags <role>          # work any matching agent may claim',
    'tt backlog list | tt backlog assign-all <agent>',
    'tt send <agent> --query|--info|--ack "<text>"  # talk to an agent; --urgent jumps the queue',
    'tt inbox conductor                             # what agents sent you',
    'tt inbox --all                                 # every pending message',
    'tt status --deep | tt status --tasks           # progress',
    'tt task show <id> | tt task list --state running',
    'tt events --follow                             # watch the town live',
    'tt interrupt|resume|close|kill <agent>         # pause, continue, finish-then-stop, stop now',
    'tt recover && tt reclaim --to-backlog          # return the work of agents that died',
    'tt sync pull                                   # write task states to tasks.toml (commit it)',
    'tt save                                        # snapshot the town to JSON',
    'tt mission start <owner/repo#N|docs/x.md>…     # a mission: the worker schedules its work graph onto agents',
    'tt mission status <id> --work                  # its progress; failed items with the reason',
    'tt mission item <id> <item> --status ready|done  # hand a failed item out again, or skip it',
    'tt mission note <id> "pause|resume|redirect <item> to <agent>"',
    '```',
    '',
    '## How to run the town',
    '',
    '- Always have a reviewer: implementers hand finished work to the reviewer with `tt send`, and the reviewer',
    '  sends fixes straight back to the implementer. You are told the outcome.',
    '- Agents finish tasks with `tt task complete <id> --result "…"` or `tt task fail <id> --reason "…"`;',
    '  insist on it, since a task left open keeps an agent busy.',
    '- Agents write to `conductor` for decisions only a human can make. Answer them, or ask the human.',
    '- `[Mission Help Needed]` queries come from the mission dispatcher: each names the commands that settle',
    '  it, and is withdrawn by itself once its item moves on.',
    '- Parallelise independent work; keep the backlog filled with well-scoped tasks.',
    '- Report to the human in plain words: what is done, what is in progress, what is blocked and why.',
    '',
  );
  return lines.join('\n');
}

export function registerConductorCommand(program: Command): void {
  examples(
    program
      .command('conductor')
      .description('Start an interactive AI session that runs the town, opening with a generated briefing')
      .option('-c, --cli <cli>', 'CLI to use (default: conductor_cli, else default_cli)')
      .option('--print', 'only write and print the briefing and the command')
      .action(
        act(async (ctx, opts: { cli?: string; print?: boolean }) => {
          const { config, root } = ctx.config;
          const cli = opts.cli ?? config.conductor_cli ?? config.default_cli;
          const town = await ctx.town();
          const briefing = await conductorBriefing(town, root);
          await ctx.close();
          const paths = townPaths(root);
          mkdirSync(paths.stateDir, { recursive: true });
          const contextFile = join(paths.stateDir, 'conductor_context.md');
          writeFileSync(contextFile, briefing, { mode: 0o600 });
          const argv = conductorArgv(cli, briefing, contextFile, config.agent_clis);
          if (opts.print) {
            const shown = argv.map((arg) => (arg === briefing ? '<briefing>' : arg));
            ctx.out.result({ cli, context_file: contextFile, command: shown, briefing }, () => {
              ctx.out.line(briefing);
              ctx.out.line(`# command: ${shown.join(' ')}`);
            });
            return;
          }
          const binDir = ensureTtShim(root);
          const env: NodeJS.ProcessEnv = {
            ...process.env,
            TT_TOWN: root,
            PATH: `${binDir}:${process.env.PATH ?? ''}`,
          };
          delete env.TINYTOWN_AGENT_ID;
          delete env.TINYTOWN_AGENT_NAME;
          const [command, ...args] = argv as [string, ...string[]];
          requireInstalledCli({ name: cli, argv, env: {}, workdir: undefined }, { townRoot: root, env });
          ctx.out.note(`Starting the conductor with ${cli} (briefing: ${contextFile})`);
          const code = await new Promise<number>((resolve, reject) => {
            const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
            child.once('error', (error) =>
              reject(
                new TinytownError(
                  'CONFIG_INVALID',
                  `Cannot start the conductor CLI '${command}': ${error.message}`,
                ),
              ),
            );
            child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
          });
          if (code !== 0) process.exitCode = code;
        }),
      ),
    'tt conductor',
    'tt conductor --cli codex',
    'tt conductor --print',
  );
}
