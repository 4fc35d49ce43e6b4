import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roundLogDir, roundPidFile, stopOrphanedRound } from '@tinytown/agent';

/** The built `tt` entry point (dist/main.js), beside every chunk of the bundle. */
export function ttMainPath(): string {
  return fileURLToPath(new URL('./main.js', import.meta.url));
}

export interface TownPaths {
  stateDir: string;
  logsDir: string;
  agentsDir: string;
  binDir: string;
  upPidFile: string;
}

export function townPaths(root: string): TownPaths {
  const stateDir = join(resolve(root), '.tt');
  return {
    stateDir,
    logsDir: join(stateDir, 'logs'),
    agentsDir: join(stateDir, 'agents'),
    binDir: join(stateDir, 'bin'),
    upPidFile: join(stateDir, 'up.pid'),
  };
}

export const agentPidFile = (root: string, agentId: string) =>
  join(townPaths(root).agentsDir, `${agentId}.pid`);
export const agentLogFile = (root: string, agentId: string) =>
  join(townPaths(root).logsDir, `${agentId}.log`);

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Writes `<town>/.tt/bin/tt`, a shim that runs this very `tt`, so an AI CLI inside a round finds `tt` on
 * its PATH whether or not it is installed globally. Returns the directory to put on PATH.
 */
export function ensureTtShim(root: string): string {
  const { binDir } = townPaths(root);
  mkdirSync(binDir, { recursive: true });
  const body = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(ttMainPath())} "$@"\n`;
  const shim = join(binDir, 'tt');
  const current = existsSync(shim) ? readFileSync(shim, 'utf8') : '';
  if (current !== body) writeFileSync(shim, body, { mode: 0o755 });
  return binDir;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the agent's loop process on this machine, if its pid file names a live agent-loop for it. */
export function liveAgentPid(root: string, agentId: string): number | undefined {
  const pid = readPid(agentPidFile(root, agentId));
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    // Guard against pid reuse: the process must be the loop of this agent.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('agent-loop') || !cmdline.includes(agentId)) return undefined;
  } catch {
    // No /proc (macOS): trust the pid file.
  }
  return pid;
}

/** Agent ids with a pid file in this town. */
export function agentIdsWithPidFiles(root: string): string[] {
  const dir = townPaths(root).agentsDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.pid'))
    .map((name) => name.slice(0, -4));
}

/** Asks the agent's local loop process to stop now (SIGTERM: the round is aborted and its work returned). */
export function signalAgentProcess(
  root: string,
  agentId: string,
  signal: NodeJS.Signals = 'SIGTERM',
): boolean {
  const pid = liveAgentPid(root, agentId);
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the AI CLI round that a dead loop of this agent left running on this machine (its loop was
 * killed with SIGKILL, say). Does nothing while a loop of the agent other than this process is alive: the
 * round is that loop's to end. Returns whether a round was stopped.
 */
export async function stopOrphanedRoundOf(root: string, agentId: string): Promise<boolean> {
  const loop = liveAgentPid(root, agentId);
  if (loop !== undefined && loop !== process.pid) return false;
  return stopOrphanedRound(roundPidFile(roundLogDir(root, agentId)));
}

/**
 * Stops every agent loop of the town on this machine (SIGTERM: their rounds return their work) and then
 * any round a dead loop left behind. Returns how many loops were running.
 */
export async function stopAgentProcesses(root: string): Promise<number> {
  const ids = agentIdsWithPidFiles(root);
  const loops = ids
    .map((id) => ({ id, pid: liveAgentPid(root, id) }))
    .filter((entry): entry is { id: string; pid: number } => entry.pid !== undefined);
  for (const { id } of loops) signalAgentProcess(root, id);
  await Promise.all(loops.map(({ pid }) => waitForExit(pid, 10_000)));
  await Promise.all(ids.map((id) => stopOrphanedRoundOf(root, id)));
  return loops.length;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return !isAlive(pid);
}

export interface LaunchedAgent {
  pid: number;
  log: string;
  pidFile: string;
}

/**
 * Starts `tt agent-loop <id>` as a detached background process (its own session, stdin closed, output to
 * `.tt/logs/<id>.log`) and records its pid. Arguments go to the process as an argv array, never through a
 * shell.
 */
export function launchAgentProcess(
  root: string,
  agentId: string,
  options: { maxRounds?: number; env?: NodeJS.ProcessEnv } = {},
): LaunchedAgent {
  const paths = townPaths(root);
  mkdirSync(paths.logsDir, { recursive: true });
  mkdirSync(paths.agentsDir, { recursive: true });
  const log = agentLogFile(root, agentId);
  const fd = openSync(log, 'a');
  const args = [ttMainPath(), '--town', resolve(root), 'agent-loop', agentId];
  if (options.maxRounds !== undefined) args.push('--max-rounds', String(options.maxRounds));
  try {
    const child = spawn(process.execPath, args, {
      cwd: resolve(root),
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error('the agent process did not start');
    child.unref();
    const pidFile = agentPidFile(root, agentId);
    writeFileSync(pidFile, `${child.pid}\n`);
    return { pid: child.pid, log, pidFile };
  } finally {
    closeSync(fd);
  }
}

export function removePidFile(file: string, pid = process.pid): void {
  if (readPid(file) === pid) rmSync(file, { force: true });
}
