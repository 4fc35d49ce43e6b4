import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { presetNames, resolveAgentCli } from '@tinytown/agent';
import {
  ACTIVE_AGENT_STATES,
  type AgentCliConfig,
  hasConfigKey,
  MachineConfig,
  plural,
  TinytownError,
  TownConfig,
  validateName,
} from '@tinytown/core';
import {
  CONFIG_FILE_NAME,
  exportTown,
  type ImportResult,
  importTown,
  loadTownConfig,
  redactRedisUrl,
  stopLocalRedis,
  Town,
} from '@tinytown/store';
import type { Command } from 'commander';
import { stringify } from 'smol-toml';
import { act, examples } from '../action.js';
import { formatValue, getPath, keyPath, setConfigKey } from '../config-keys.js';
import type { CliContext } from '../context.js';
import { machineConfigFile, readMachineConfig } from '../machine-config.js';
import { isAlive, readPid, stopAgentProcesses, townPaths, waitForExit } from '../processes.js';
import { readRegistry, registerTown, registryFile } from '../registry.js';

function git(dir: string, args: string[]): string | undefined {
  try {
    return (
      execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

function sanitizeName(raw: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return cleaned || 'tinytown';
}

/** `<repo>-<branch>` inside a git repository, else the directory's name. */
/** What a snapshot holds, in words, for `tt save` and `tt restore`. */
function snapshotContents(counts: ImportResult): string {
  return `${plural(counts.agents, 'agent')}, ${plural(counts.tasks, 'task')}, ${plural(counts.backlog, 'backlog entry', 'backlog entries')}, ${plural(counts.messages, 'message')}, ${plural(counts.missions, 'mission')} and ${plural(counts.events, 'event')}`;
}

export function deriveTownName(dir: string): string {
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  if (top) {
    const branch = git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
    return sanitizeName(branch ? `${basename(top)}-${branch.replace(/\//g, '-')}` : basename(top));
  }
  return sanitizeName(basename(resolve(dir)));
}

/** The CLIs a config names as defaults must be presets or its own agent_clis entries. */
function requireKnownClis(config: Pick<MachineConfig, 'default_cli' | 'conductor_cli' | 'agent_clis'>): void {
  for (const cli of [config.default_cli, config.conductor_cli]) {
    if (cli !== undefined) resolveAgentCli(cli, config.agent_clis);
  }
}

/** Agent CLI entries as a person would write them: no empty `env` table. */
function withoutEmptyEnv(clis: MachineConfig['agent_clis']): Record<string, Partial<AgentCliConfig>> {
  return Object.fromEntries(
    Object.entries(clis).map(([name, { env, ...rest }]) => [
      name,
      Object.keys(env).length > 0 ? { ...rest, env } : rest,
    ]),
  );
}

function configTemplate(name: string, defaultCli: string, machine: MachineConfig): string {
  const conductor = machine.conductor_cli
    ? `# The AI CLI of 'tt conductor' (default: default_cli).\nconductor_cli = ${JSON.stringify(machine.conductor_cli)}\n`
    : '';
  const ownClis =
    Object.keys(machine.agent_clis).length > 0
      ? `\n# From ${machineConfigFile()}:\n${stringify({ agent_clis: withoutEmptyEnv(machine.agent_clis) })}\n`
      : '';
  return `# Tinytown town configuration. Reference: the README's "Running a town" section.
name = ${JSON.stringify(name)}
# The AI CLI new agents use: ${presetNames().join(', ')}, or an [agent_clis.<name>] entry below.
default_cli = ${JSON.stringify(defaultCli)}
${conductor}
[agent]
idle_timeout_secs = 300   # an agent with nothing to do for this long stops (0: never)
round_timeout_secs = 1800 # a CLI round running longer is killed with everything it started
max_rounds = 10           # rounds before an agent's loop ends
lease_secs = 30           # an agent that misses heartbeats this long is recovered
auto_claim = false        # idle agents take role-matching backlog tasks by themselves
keep_round_logs = 200     # round logs kept per agent in .tt/logs/<agent id>/, the newest

# Redis: by default the town runs its own redis-server on .tt/redis.sock ('tt up').
# Set REDIS_URL, or uncomment this, to use another server:
# [redis]
# url = "redis://redis.example.internal:6379"

# Your own AI CLI: the prompt arrives on stdin (or as a file after prompt_flag).
# [agent_clis.my-ai]
# command = "my-ai --non-interactive"
# prompt_flag = "--prompt-file"
# env = { MY_AI_MODEL = "large" }
${ownClis}`;
}

function ensureGitignore(root: string): boolean {
  const file = join(root, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.split(/\r?\n/).some((line) => ['.tt', '.tt/', '/.tt', '/.tt/'].includes(line.trim())))
    return false;
  appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}# Tinytown runtime state\n.tt\n`);
  return true;
}

const DEFAULT_INIT_CLI = 'claude';

/**
 * Kills every active agent (their running rounds end and their work goes back to their queues) and
 * stops their loop processes on this machine. With Redis unreachable, only the local processes.
 */
async function stopAllAgents(
  ctx: CliContext,
): Promise<{ agentsStopped: number; loops: number; redisReached: boolean }> {
  let agentsStopped = 0;
  let redisReached = true;
  try {
    const town = await ctx.town();
    for (const agent of await town.agents.list()) {
      if (ACTIVE_AGENT_STATES.includes(agent.state)) {
        await town.agents.kill(agent.id).catch(() => undefined);
        agentsStopped += 1;
      }
    }
  } catch (error) {
    if (!(error instanceof TinytownError && error.code === 'REDIS_UNAVAILABLE')) throw error;
    redisReached = false;
  }
  return { agentsStopped, loops: await stopAgentProcesses(ctx.config.root), redisReached };
}

export function registerTownCommands(program: Command): void {
  examples(
    program
      .command('init')
      .description(
        'Make this directory a town: writes tinytown.toml, ignores .tt in git, starts the town’s Redis',
      )
      .option('-n, --name <name>', 'town name (default: <repo>-<branch>, or the directory name)')
      .option(
        '-c, --cli <cli>',
        `default AI CLI for new agents (default: default_cli of ${machineConfigFile()}, else ${DEFAULT_INIT_CLI})`,
      )
      .option('--force', 'overwrite an existing tinytown.toml')
      .option('--no-start', 'do not start the local redis-server')
      .action(
        act(async (ctx, opts: { name?: string; cli?: string; force?: boolean; start: boolean }) => {
          const root = ctx.root;
          const file = join(root, CONFIG_FILE_NAME);
          // Again over an existing town it keeps tinytown.toml and (re)starts what is missing, like
          // `git init`: the way back after `tt down`. Asking for another name or CLI needs --force.
          const existing = existsSync(file) && !opts.force;
          if (existing) {
            const kept = ctx.config.config;
            const differs = [
              opts.name !== undefined && opts.name !== kept.name ? `name '${kept.name}'` : undefined,
              opts.cli !== undefined && opts.cli !== kept.default_cli
                ? `default_cli '${kept.default_cli}'`
                : undefined,
            ].filter((part) => part !== undefined);
            if (differs.length > 0) {
              throw new TinytownError(
                'CONFIG_INVALID',
                `${file} already exists with ${differs.join(' and ')}; use --force to overwrite it`,
                { file },
              );
            }
          }
          const name = existing
            ? ctx.config.config.name
            : validateName(opts.name ?? deriveTownName(root), 'town');
          let defaultsFrom: string | null = null;
          let template: string | undefined;
          if (!existing) {
            const machine = readMachineConfig();
            const cli = opts.cli ?? machine.default_cli ?? DEFAULT_INIT_CLI;
            requireKnownClis({ ...machine, default_cli: cli });
            const applied =
              (opts.cli === undefined && machine.default_cli !== undefined) ||
              machine.conductor_cli !== undefined ||
              Object.keys(machine.agent_clis).length > 0;
            if (applied) defaultsFrom = machineConfigFile();
            template = configTemplate(name, cli, machine);
          }
          // Only now that the name and the CLI are known to be good: a refused init leaves nothing behind.
          mkdirSync(root, { recursive: true });
          if (template !== undefined) writeFileSync(file, template);
          const gitignoreUpdated = ensureGitignore(root);
          mkdirSync(townPaths(root).logsDir, { recursive: true });
          const registered = registerTown({ name, path: root });
          let redisStarted = false;
          if (opts.start) redisStarted = await ctx.ensureLocalRedis();
          const redis = redactRedisUrl(ctx.config.redisUrl);
          ctx.out.result(
            {
              name,
              root,
              config_file: file,
              already_initialized: existing,
              gitignore_updated: gitignoreUpdated,
              registered,
              redis,
              redis_started: redisStarted,
              defaults_from: defaultsFrom,
            },
            () => {
              ctx.out.line(
                existing
                  ? `Town '${name}' at ${root} is already initialized; kept its ${CONFIG_FILE_NAME}`
                  : `Initialized town '${name}' at ${root}`,
              );
              if (defaultsFrom) ctx.out.line(`Took this machine's defaults from ${defaultsFrom}`);
              if (gitignoreUpdated) ctx.out.line('Added .tt to .gitignore');
              ctx.out.line(`Redis: ${redis}${redisStarted ? ' (started)' : ''}`);
              ctx.out.line("Next: 'tt spawn <name>' to create an agent, or 'tt up' to run the whole town");
            },
          );
        }),
      ),
    'tt init',
    'tt init --name shop --cli codex',
    'tt init            # again, e.g. after tt down: keeps tinytown.toml, starts the town’s Redis',
  );

  examples(
    program
      .command('down')
      .description('Stop the town: its agents, a running `tt up`, and its local redis-server')
      .action(
        act(async (ctx) => {
          const root = ctx.config.root;
          const { agentsStopped, loops } = await stopAllAgents(ctx);
          await ctx.close();
          const upPid = readPid(townPaths(root).upPidFile);
          let upStopped = false;
          if (upPid !== undefined && upPid !== process.pid && isAlive(upPid)) {
            process.kill(upPid, 'SIGINT');
            upStopped = await waitForExit(upPid, 20_000);
          }
          // A running `tt up` stops its Redis itself.
          const redisStopped = ctx.usesLocalRedis
            ? (await stopLocalRedis(root, { socketPath: ctx.config.config.redis.socket_path })) || upStopped
            : false;
          ctx.out.result(
            {
              agents_stopped: agentsStopped,
              processes_stopped: loops,
              up_stopped: upStopped,
              redis_stopped: redisStopped,
            },
            () => {
              ctx.out.line(
                `Stopped ${plural(agentsStopped, 'agent')} (${plural(loops, 'local process', 'local processes')})`,
              );
              if (upStopped) ctx.out.line("Stopped 'tt up'");
              ctx.out.line(
                redisStopped ? 'Stopped the town’s redis-server' : 'No local redis-server was running',
              );
            },
          );
        }),
      ),
    'tt down',
  );

  examples(
    program
      .command('stop')
      .description('Stop every agent of the town now; Redis, townhall and the worker keep running')
      .action(
        act(async (ctx) => {
          const { agentsStopped, loops, redisReached } = await stopAllAgents(ctx);
          // '0 agent(s)' would read as 'none were running', when the town's record could not be read.
          if (!redisReached)
            ctx.out.note(
              `The town's Redis is not running: only this machine's agent processes were stopped (${loops}); the agents' states are as they were`,
            );
          ctx.out.result({ agents_stopped: agentsStopped, processes_stopped: loops }, () =>
            ctx.out.line(
              `Stopped ${plural(agentsStopped, 'agent')} (${plural(loops, 'local process', 'local processes')})`,
            ),
          );
        }),
      ),
    'tt stop',
    'tt stop && tt restart backend',
  );

  examples(
    program
      .command('config')
      .description(
        'Show the town’s effective configuration, one key, or set a key in tinytown.toml (with --global: this machine’s defaults for new towns)',
      )
      .argument('[key]', 'dotted key, e.g. agent.idle_timeout_secs')
      .argument('[value]', 'new value (numbers and true/false are typed; tables and lists as TOML or JSON)')
      .option(
        '-g, --global',
        `this machine's defaults in ${machineConfigFile()} (default_cli, conductor_cli, agent_clis), which tt init copies into new towns`,
      )
      .action(
        act(async (ctx, key: string | undefined, value: string | undefined, opts: { global?: boolean }) => {
          const machine = opts.global === true;
          const file = machine ? machineConfigFile() : join(ctx.config.root, CONFIG_FILE_NAME);
          if (key === undefined) {
            if (machine) {
              const config = readMachineConfig();
              ctx.out.result({ file, config }, () => {
                ctx.out.line(`# ${file}${existsSync(file) ? '' : ' (not written yet)'}`);
                if (existsSync(file)) ctx.out.line(readFileSync(file, 'utf8').trimEnd());
              });
              return;
            }
            const loaded = ctx.config;
            ctx.out.result(
              { file, source: loaded.source, redis: redactRedisUrl(loaded.redisUrl), config: loaded.config },
              () => {
                ctx.out.line(
                  `# ${loaded.source === 'file' ? file : 'from the environment'}; Redis ${redactRedisUrl(loaded.redisUrl)}`,
                );
                ctx.out.line(stringify(loaded.config));
              },
            );
            return;
          }
          if (value === undefined) {
            const current = getPath(machine ? readMachineConfig() : ctx.config.config, keyPath(key));
            if (current === undefined) {
              const known = hasConfigKey(machine ? MachineConfig : TownConfig, keyPath(key));
              throw new TinytownError(
                'CONFIG_INVALID',
                known ? `'${key}' is not set in ${file}` : `Unknown config key '${key}'`,
                { field: key },
              );
            }
            ctx.out.result({ key, value: current }, () => ctx.out.line(formatValue(current)));
            return;
          }
          if (machine) readMachineConfig();
          else if (ctx.config.source !== 'file')
            throw new TinytownError(
              'NOT_INITIALIZED',
              `No ${CONFIG_FILE_NAME} to change at ${ctx.config.root}`,
            );
          const written = setConfigKey<MachineConfig>(
            file,
            machine ? MachineConfig : TownConfig,
            key,
            value,
            requireKnownClis,
          );
          ctx.out.result({ key, value: written, file }, () =>
            ctx.out.line(`Set ${key} = ${value} in ${file}`),
          );
        }),
      ),
    'tt config',
    'tt config agent.idle_timeout_secs',
    'tt config agent.auto_claim true',
    'tt config --global default_cli codex   # every new town starts with codex',
    `tt config --global agent_clis.my-ai '{ command = "my-ai --yes" }'   # TOML or JSON`,
  );

  examples(
    program
      .command('towns')
      .description('Towns registered on this machine (by tt init), with their state')
      .action(
        act(async (ctx) => {
          const towns = await Promise.all(
            readRegistry().map(async (entry) => {
              if (!existsSync(entry.path)) return { ...entry, status: 'missing' as const };
              let loaded: ReturnType<typeof loadTownConfig>;
              try {
                loaded = loadTownConfig(entry.path, { ...process.env, TINYTOWN_TOWN: undefined });
              } catch {
                return { ...entry, status: 'no_config' as const };
              }
              try {
                // Only looks: never starts a town's Redis.
                const town = await Town.connect({
                  url: loaded.redisUrl,
                  town: loaded.config.name,
                  connectTimeoutMs: 1000,
                  maxRetriesPerRequest: 0,
                });
                try {
                  const agents = await town.agents.list();
                  const active = agents.filter((agent) => ACTIVE_AGENT_STATES.includes(agent.state)).length;
                  return {
                    name: loaded.config.name,
                    path: entry.path,
                    status: 'online' as const,
                    agents: agents.length,
                    active,
                  };
                } finally {
                  await town.close();
                }
              } catch {
                return { name: loaded.config.name, path: entry.path, status: 'offline' as const };
              }
            }),
          );
          ctx.out.result({ registry: registryFile(), towns }, () => {
            if (towns.length === 0)
              ctx.out.line(`No towns registered (${registryFile()}); 'tt init' registers one.`);
            for (const town of towns) {
              const detail =
                town.status === 'online'
                  ? `${plural(town.agents, 'agent')} (${town.active} active)`
                  : town.status;
              ctx.out.line(`${ctx.out.paint('bold', town.name || '?')} ${detail}\n    ${town.path}`);
            }
          });
        }),
      ),
    'tt towns',
  );

  examples(
    program
      .command('reset')
      .description('Delete the town’s data in Redis (shows what would go unless --force)')
      .option('--force', 'really delete')
      .option('--agents-only', 'only agents and their queues; keep tasks and the backlog')
      .action(
        act(async (ctx, opts: { force?: boolean; agentsOnly?: boolean }) => {
          const town = await ctx.town();
          if (!opts.force) {
            const counts = await town.probes.counts();
            const tasks = (await town.tasks.list()).length;
            const doc = {
              dry_run: true,
              agents_only: opts.agentsOnly === true,
              agents: counts.agents,
              tasks,
              backlog: counts.backlog,
            };
            ctx.out.result(doc, () => {
              ctx.out.line(
                opts.agentsOnly
                  ? `Would delete ${plural(counts.agents, 'agent')} and their queues.`
                  : `Would delete ${plural(counts.agents, 'agent')}, ${plural(tasks, 'task')}, ${plural(counts.backlog, 'backlog entry', 'backlog entries')}, events and history.`,
              );
              ctx.out.line(`Run 'tt reset --force${opts.agentsOnly ? ' --agents-only' : ''}' to do it.`);
            });
            return;
          }
          const deleted = await town.reset({ agentsOnly: opts.agentsOnly === true });
          ctx.out.result({ dry_run: false, agents_only: opts.agentsOnly === true, deleted }, () =>
            ctx.out.line(`Reset complete: deleted ${plural(deleted, 'Redis key')}`),
          );
        }),
      ),
    'tt reset',
    'tt reset --force --agents-only',
  );

  examples(
    program
      .command('save')
      .description('Write the town (agents, tasks, backlog, inboxes, missions, events) to a JSON snapshot')
      .argument('[file]', 'where to write it', 'tinytown-snapshot.json')
      .action(
        act(async (ctx, fileArg: string) => {
          const town = await ctx.town();
          const snapshot = await exportTown(town);
          const file = resolve(ctx.root, fileArg);
          writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
          const messages = snapshot.agents.reduce(
            (sum, agent) => sum + agent.inbox.length + agent.urgent.length + agent.inflight.length,
            snapshot.conductor.inbox.length + snapshot.conductor.urgent.length,
          );
          const events = Object.values(snapshot.events.agents).reduce(
            (sum, stream) => sum + stream.length,
            snapshot.events.town.length,
          );
          const doc = {
            file,
            agents: snapshot.agents.length,
            tasks: snapshot.tasks.length,
            backlog: snapshot.backlog.length,
            messages,
            missions: snapshot.missions.length,
            events,
          };
          ctx.out.result(doc, () => ctx.out.line(`Saved ${snapshotContents(doc)} to ${file}`));
        }),
      ),
    'tt save',
    'tt save backups/before-refactor.json',
  );

  examples(
    program
      .command('restore')
      .description('Load a snapshot written by tt save (agents come back stopped; restart them)')
      .argument('<file>', 'snapshot file')
      .option('--force', 'replace what the town holds now')
      .action(
        act(async (ctx, fileArg: string, opts: { force?: boolean }) => {
          const file = resolve(ctx.root, fileArg);
          let snapshot: unknown;
          try {
            snapshot = JSON.parse(readFileSync(file, 'utf8'));
          } catch (error) {
            throw new TinytownError(
              'INVALID_INPUT',
              `Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
              {
                field: 'file',
              },
            );
          }
          const town = await ctx.town();
          const result = await importTown(town, snapshot, { replace: opts.force === true });
          ctx.out.result({ file, ...result }, () =>
            ctx.out.line(`Restored ${snapshotContents(result)} from ${file}`),
          );
        }),
      ),
    'tt restore tinytown-snapshot.json --force',
  );
}
