import { type AgentCliConfigInput, TinytownError } from '@tinytown/core';
import { splitCommandLine } from './command-words.js';

/** How the round prompt reaches the CLI: piped to stdin, or written to a file whose path follows `flag`. */
export type PromptVia = 'stdin' | { readonly flag: string };

/** A CLI ready to spawn: argv without the prompt, plus what the config adds to the environment. */
export interface ResolvedCli {
  readonly name: string;
  readonly argv: readonly string[];
  readonly promptVia: PromptVia;
  readonly env: Readonly<Record<string, string>>;
  /** As configured; relative paths are resolved against the town root by the caller. */
  readonly workdir: string | undefined;
}

export interface CliPreset {
  readonly command: string;
  readonly promptVia: PromptVia;
}

/**
 * Built-in CLIs, each run non-interactively with permission prompts disabled (nobody is there to answer).
 * aider's `--message` took the prompt as an argument the original never supplied; `--message-file` reads
 * our prompt file instead. copilot and cursor were placeholders in the original (`gh copilot` only
 * suggests shell commands, `cursor` opens the editor); these are their agent CLIs, which read a piped prompt.
 */
export const CLI_PRESETS: Readonly<Record<string, CliPreset>> = {
  claude: { command: 'claude --print --dangerously-skip-permissions', promptVia: 'stdin' },
  auggie: { command: 'auggie --print', promptVia: { flag: '--instruction-file' } },
  codex: { command: 'codex exec --dangerously-bypass-approvals-and-sandbox', promptVia: 'stdin' },
  'codex-mini': {
    command:
      'codex exec --dangerously-bypass-approvals-and-sandbox -m gpt-5.4-mini -c model_reasoning_effort="medium"',
    promptVia: 'stdin',
  },
  aider: { command: 'aider --yes --no-auto-commits', promptVia: { flag: '--message-file' } },
  gemini: { command: 'gemini --yolo', promptVia: 'stdin' },
  copilot: { command: 'copilot --allow-all-tools', promptVia: 'stdin' },
  cursor: { command: 'cursor-agent --print --force', promptVia: 'stdin' },
};

export const DEFAULT_CLI = 'claude';

export const presetNames = (): string[] => Object.keys(CLI_PRESETS);

function normalizeSpaces(command: string): string {
  return command.trim().split(/\s+/).join(' ');
}

function fromCustom(name: string, config: AgentCliConfigInput): ResolvedCli {
  return {
    name,
    argv: splitCommandLine(config.command),
    promptVia: config.prompt_flag ? { flag: config.prompt_flag } : 'stdin',
    env: { ...(config.env ?? {}) },
    workdir: config.workdir,
  };
}

function fromPreset(name: string, preset: CliPreset): ResolvedCli {
  return {
    name,
    argv: splitCommandLine(preset.command),
    promptVia: preset.promptVia,
    env: {},
    workdir: undefined,
  };
}

function findKey<V>(table: Readonly<Record<string, V>>, wanted: string): string | undefined {
  if (Object.hasOwn(table, wanted)) return wanted;
  const lower = wanted.toLowerCase();
  return Object.keys(table).find((key) => key.toLowerCase() === lower);
}

/**
 * Turns an agent's `cli` field into something spawnable. Lookup order: a town `agent_clis` entry (which
 * may override a preset of the same name), a preset, then a full command string equal to one a preset or
 * entry would run (what older towns stored as `default_cli`). Anything else is refused: the original ran
 * unknown names literally as commands, so a typo became an arbitrary program launch.
 */
export function resolveAgentCli(
  ref: string | null | undefined,
  agentClis: Readonly<Record<string, AgentCliConfigInput>> = {},
): ResolvedCli {
  const wanted = (ref ?? '').trim() || DEFAULT_CLI;

  const customKey = findKey(agentClis, wanted);
  if (customKey !== undefined) return fromCustom(customKey, agentClis[customKey]!);

  const presetKey = findKey(CLI_PRESETS, wanted);
  if (presetKey !== undefined) return fromPreset(presetKey, CLI_PRESETS[presetKey]!);

  const asCommand = normalizeSpaces(wanted);
  for (const [name, config] of Object.entries(agentClis)) {
    if (normalizeSpaces(config.command) === asCommand) return fromCustom(name, config);
  }
  for (const [name, preset] of Object.entries(CLI_PRESETS)) {
    if (normalizeSpaces(preset.command) === asCommand) return fromPreset(name, preset);
  }

  const known = [...new Set([...Object.keys(agentClis), ...presetNames()])].sort();
  throw new TinytownError(
    'CONFIG_INVALID',
    `Unknown agent CLI '${wanted}'. Use one of: ${known.join(', ')}; or add an [agent_clis.<name>] table with its command to tinytown.toml`,
    { field: 'cli', cli: wanted, known },
  );
}
