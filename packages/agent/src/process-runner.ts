import { spawn } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TinytownError } from '@tinytown/core';
import type { ResolvedCli } from './presets.js';
import { signalGroup, stopGroup } from './process-group.js';
import { removeRoundPidFile, writeRoundPidFile } from './round-pid-file.js';

export interface RunRoundOptions {
  /** The CLI to run; its `env` and `workdir` are applied by the caller through `env` and `cwd`. */
  readonly cli: Pick<ResolvedCli, 'argv' | 'promptVia'>;
  readonly prompt: string;
  readonly cwd: string;
  /** The complete environment of the child (see `buildRoundEnv`). */
  readonly env: Readonly<Record<string, string>>;
  /** Receives the CLI's stdout and stderr; truncated at the start of the round. */
  readonly logFile: string;
  /** Where the prompt goes when the CLI takes it by flag; default `<logFile>.prompt.md`. Removed afterwards. */
  readonly promptFile?: string;
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL for the process group. Default 5 s. */
  readonly killGraceMs?: number;
  /** Aborting kills the round's process group (`tt kill` during a round). */
  readonly signal?: AbortSignal;
  /** Called every `tickMs` while the CLI runs: the loop renews its lease here, so long rounds stay alive. */
  readonly onTick?: () => void | Promise<void>;
  /** Default 10 s. */
  readonly tickMs?: number;
  /** A failing tick must not kill the round; the caller decides what a failure means. */
  readonly onTickError?: (error: unknown) => void;
  /**
   * Holds the CLI's pid (its process group) while the round runs, so that a round outliving a dead loop
   * can be found and stopped (`stopOrphanedRound`).
   */
  readonly pidFile?: string;
}

export interface RoundOutcome {
  /** The CLI's exit code; null when it was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
  readonly pid: number | undefined;
  /** Set when the CLI could not be started at all (binary missing, bad cwd). */
  readonly spawnError: Error | undefined;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;
export const DEFAULT_TICK_MS = 10_000;

/**
 * Node's timers take at most 2^31-1 ms (about 24.8 days) and fire a longer delay at once: a round timeout
 * set very long to mean "no limit" killed every round as it started. Such a delay is as good as that limit.
 */
const timerDelay = (ms: number) => Math.min(ms, 2 ** 31 - 1);

function describeEnd(outcome: Omit<RoundOutcome, 'durationMs'>): string {
  if (outcome.spawnError) return `could not start: ${outcome.spawnError.message}`;
  const how = outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.exitCode}`;
  if (outcome.timedOut) return `${how} (timed out)`;
  if (outcome.aborted) return `${how} (aborted)`;
  return how;
}

/**
 * Runs one round of an AI CLI and waits for it and everything it started. The argv is spawned without a
 * shell, so nothing in the prompt or the config is ever interpreted as shell syntax; the child leads its
 * own process group so a timeout or abort can take down the whole tree (the original had no timeout,
 * and a hung CLI blocked its agent forever). Process groups make this POSIX-only.
 */
export async function runCliRound(options: RunRoundOptions): Promise<RoundOutcome> {
  const started = performance.now();
  const argv = [...options.cli.argv];
  if (argv.length === 0) {
    throw new TinytownError('CONFIG_INVALID', 'The agent CLI command is empty', { field: 'command' });
  }
  if (options.signal?.aborted) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: true,
      durationMs: 0,
      pid: undefined,
      spawnError: undefined,
    };
  }

  await mkdir(dirname(options.logFile), { recursive: true });
  const promptVia = options.cli.promptVia;
  let promptPath: string | undefined;
  if (promptVia !== 'stdin') {
    promptPath = options.promptFile ?? `${options.logFile}.prompt.md`;
    await mkdir(dirname(promptPath), { recursive: true });
    // Prompts quote other agents' work; keep them readable by this user only.
    await writeFile(promptPath, options.prompt, { mode: 0o600 });
    argv.push(promptVia.flag, promptPath);
  }

  const log = await open(options.logFile, 'w');
  try {
    await log.write(`[tinytown] round started ${new Date().toISOString()} in ${options.cwd}\n`);
    const outcome = await supervise(options, argv, log.fd);
    await log.write(`\n[tinytown] round ended: ${describeEnd(outcome)}\n`);
    return { ...outcome, durationMs: Math.round(performance.now() - started) };
  } finally {
    await log.close();
    if (promptPath) await rm(promptPath, { force: true });
  }
}

function supervise(
  options: RunRoundOptions,
  argv: readonly string[],
  logFd: number,
): Promise<Omit<RoundOutcome, 'durationMs'>> {
  const [command, ...args] = argv as [string, ...string[]];
  const grace = timerDelay(options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  const viaStdin = options.cli.promptVia === 'stdin';

  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [viaStdin ? 'pipe' : 'ignore', logFd, logFd],
      detached: true,
    });
    const pid = child.pid;
    // Without the file a round orphaned by a dead loop cannot be found again, but the round itself is fine.
    const recorded =
      options.pidFile === undefined || pid === undefined
        ? Promise.resolve()
        : writeRoundPidFile(options.pidFile, pid).catch(() => {});

    let timedOut = false;
    let aborted = false;
    let terminating = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let tickRunning = false;

    const terminate = () => {
      if (terminating || pid === undefined) return;
      terminating = true;
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), grace);
    };
    const onAbort = () => {
      aborted = true;
      terminate();
    };
    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, timerDelay(options.timeoutMs));
    const tickTimer =
      options.onTick === undefined
        ? undefined
        : setInterval(
            () => {
              // A slow renewal must not pile up behind itself.
              if (tickRunning || options.onTick === undefined) return;
              tickRunning = true;
              Promise.resolve()
                .then(options.onTick)
                .catch((error: unknown) => options.onTickError?.(error))
                .finally(() => {
                  tickRunning = false;
                });
            },
            timerDelay(options.tickMs ?? DEFAULT_TICK_MS),
          );
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const stopWatching = () => {
      clearTimeout(timeoutTimer);
      if (tickTimer) clearInterval(tickTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      stopWatching();
      void recorded
        .then(reapStragglers)
        .then(() => (options.pidFile === undefined ? undefined : removeRoundPidFile(options.pidFile)))
        .catch(() => {})
        .then(() => {
          if (killTimer) clearTimeout(killTimer);
          resolve({ exitCode, signal, timedOut, aborted, pid, spawnError });
        });
    };

    // The leader may exit while children it started keep running; the round owns them, so they go too.
    const reapStragglers = async () => {
      if (pid !== undefined) await stopGroup(pid, grace);
    };

    child.on('error', (error) => {
      // 'error' without a pid means the spawn itself failed and no 'exit' will follow.
      if (pid === undefined) finish(null, null, error);
    });
    child.once('exit', (code, signal) => finish(code, signal));

    if (viaStdin && child.stdin) {
      // A CLI that exits without reading its prompt closes the pipe; that is its business, not an error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.prompt);
    }
  });
}
