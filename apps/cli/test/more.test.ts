import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { TownEvent } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { useTestRedis } from '@tinytown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, createTown, runTt, type TestTown, TT, until } from './helpers.js';

const RECORDER = resolve(import.meta.dirname, 'fixtures/record-argv.mjs');
const redis = useTestRedis({ flushEachTest: false });
let t: TestTown;

beforeAll(async () => {
  t = await createTown(redis.current.url);
});
afterAll(async () => {
  await t?.cleanup();
});

describe('tt events --follow', () => {
  it('prints each new event exactly once, as JSON lines, and stops on SIGINT', async () => {
    await t.json('assign', 'conductor', 'an old task, before following');
    const follow = spawn(process.execPath, [TT, 'events', '--follow', '--json'], {
      cwd: t.dir,
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    follow.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => follow.once('exit', (code) => done(code)));
    await new Promise((done) => setTimeout(done, 2_500));
    for (const n of [1, 2, 3]) await t.json('backlog', 'add', `follow me ${n}`);
    const events = await until(
      () => {
        const lines = output.trim().split('\n').filter(Boolean);
        const parsed = lines.map((line) => JSON.parse(line) as TownEvent);
        return parsed.filter((event) => event.event_type === 'task_created').length >= 3 ? parsed : undefined;
      },
      20_000,
      'three events',
    );
    await new Promise((done) => setTimeout(done, 1_500));
    follow.kill('SIGINT');
    expect(await exited).toBe(0);
    const all = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TownEvent);
    const ids = all.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.some((event) => event.event_type === 'task_assigned')).toBe(false);
    expect(events.length).toBe(all.length);
  });
});

describe('tt events and tt history as text', () => {
  it('name the task each line is about, as --json does', async () => {
    const { task } = await t.json<{ task: { id: string } }>('backlog', 'add', 'which task was that?');
    const short = task.id.slice(0, 8);
    for (const args of [['events'], ['history']]) {
      const { stdout } = await t.tt(...args);
      expect(stdout, args.join(' ')).toMatch(
        new RegExp(`\\[task_created\\] town \\(task ${short}\\) — Added to the backlog`),
      );
    }
  });
});

describe('tt conductor', () => {
  it('starts the CLI with the briefing as its first prompt, as plain argv, never as an agent', async () => {
    await t.json('config', 'agent_clis.recorder', JSON.stringify({ command: cliCommand(RECORDER) }));
    const record = join(t.dir, 'record.json');
    const env = {
      ...t.env,
      RECORD_FILE: record,
      RECORD_EXIT: '3',
      TINYTOWN_AGENT_ID: '11111111-1111-4111-8111-111111111111',
    };
    const run = await runTt(['conductor', '--cli', 'recorder'], { cwd: t.dir, env });
    expect(run.code).toBe(3);
    expect(existsSync(record)).toBe(true);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as {
      argv: string[];
      agentId: string | null;
      ttTown: string;
    };
    expect(seen.argv).toHaveLength(1);
    expect(seen.argv[0]).toContain(`# You are the conductor of the Tinytown town \`${t.name}\``);
    expect(seen.agentId).toBeNull();
    expect(seen.ttTown).toBe(t.dir);
    expect(readFileSync(join(t.dir, '.tt', 'conductor_context.md'), 'utf8')).toBe(seen.argv[0]);
  });
});

describe('active missions in tt conductor --print and tt status', () => {
  it('briefs on the active missions, with what waits on an operator, and the mission commands', async () => {
    mkdirSync(join(t.dir, 'docs'), { recursive: true });
    writeFileSync(join(t.dir, 'docs', 'plan.md'), '# Billing plan\n\nWhat to build.\n');
    const started = await t.json<{ mission: { id: string } }>('mission', 'start', 'docs/plan.md');
    const id = started.mission.id;
    try {
      await t.json('mission', 'stop', id);
      const { briefing } = await t.json<{ briefing: string }>('conductor', '--print');
      expect(briefing).toContain('- Missions: 1 active\n');
      expect(briefing).toContain(
        `  - \`${id.slice(0, 8)}\` blocked, 0/1 work items done, 0 blocked — Stopped by user\n`,
      );
      expect(briefing).toContain('tt mission item <id> <item> --status ready|done');
      expect(briefing).toContain('`[Mission Help Needed]` queries come from the mission dispatcher');
      // tt status shows the same, and --json has it as data.
      const status = await t.tt('status');
      expect(status.stdout).toContain(
        `Missions 1 active\n  ${id.slice(0, 8)} blocked, 0/1 work items done, 0 blocked — Stopped by user\n`,
      );
      const { missions } = await t.json<{ missions: unknown[] }>('status');
      expect(missions).toEqual([
        { id, state: 'blocked', done: 0, total: 1, blocked: 0, blocked_reason: 'Stopped by user' },
      ]);
    } finally {
      await t.json('mission', 'stop', id, '--force');
    }
    const { briefing } = await t.json<{ briefing: string }>('conductor', '--print');
    expect(briefing).toContain('- Missions: 0 active\n');
    expect((await t.tt('status')).stdout).not.toContain('Missions');
  });
});

describe('tt init', () => {
  it('names the town <repo>-<branch>, ignores .tt in git, never overwrites without --force, and runs again harmlessly', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'tt-repo-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
      git('init', '-q');
      git('checkout', '-q', '-b', 'feature/login-page');
      git(
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.com',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'start',
      );
      const env = { ...t.env, TT_HOME: join(repo, '.home') };
      // A refused init (bad name, unknown CLI) leaves nothing behind, not even the directory it was given.
      for (const bad of [
        ['--name', 'bad name'],
        ['--cli', 'no-such-ai'],
      ]) {
        const where = join(repo, 'not-yet');
        const refused = await runTt(['init', '--no-start', '--town', where, ...bad], { cwd: repo, env });
        expect(refused.code, refused.stderr).toBe(1);
        expect(existsSync(where)).toBe(false);
      }
      const first = await runTt(['init', '--no-start', '--json'], { cwd: repo, env });
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({
        name: `${basename(repo)}-feature-login-page`,
        gitignore_updated: true,
      });
      expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toMatch(/^\.tt$/m);
      const config = readFileSync(join(repo, 'tinytown.toml'), 'utf8');
      const again = await runTt(['init', '--no-start', '--name', 'other'], { cwd: repo, env });
      expect(again.code).toBe(1);
      expect(readFileSync(join(repo, 'tinytown.toml'), 'utf8')).toBe(config);
      // Plain `tt init` again keeps the file as it is and says so.
      const reinit = await runTt(['init', '--no-start', '--json'], { cwd: repo, env });
      expect(reinit.code).toBe(0);
      expect(JSON.parse(reinit.stdout)).toMatchObject({
        name: `${basename(repo)}-feature-login-page`,
        already_initialized: true,
        gitignore_updated: false,
      });
      expect(readFileSync(join(repo, 'tinytown.toml'), 'utf8')).toBe(config);
      const forced = await runTt(['init', '--no-start', '--name', 'other', '--force', '--json'], {
        cwd: repo,
        env,
      });
      expect(JSON.parse(forced.stdout)).toMatchObject({ name: 'other', gitignore_updated: false });
      const towns = await runTt(['towns', '--json'], { cwd: repo, env });
      expect(JSON.parse(towns.stdout).towns).toEqual([
        expect.objectContaining({ name: 'other', path: repo }),
      ]);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe('tt config <key> <value>', () => {
  it('changes only that key in tinytown.toml: tt init’s notes and the user’s own comments stay', async () => {
    const file = join(t.dir, 'tinytown.toml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# ours: keep the lease short on this laptop\n`);
    const before = readFileSync(file, 'utf8');
    const comments = before.split('\n').filter((line) => line.includes('#'));
    expect(comments.length).toBeGreaterThan(5);

    await t.json('config', 'agent.auto_claim', 'true');
    await t.json('config', 'agent.lease_secs', '12');
    await t.json('config', 'townhall.rest_port', '8181');
    await t.json('config', 'agent_clis.my-ai', JSON.stringify({ command: 'my-ai --yes' }));
    const after = readFileSync(file, 'utf8');
    expect(after).toMatch(/^auto_claim = true +# idle agents take/m);
    expect(after).toMatch(/^lease_secs = 12 +# an agent that misses heartbeats/m);
    const changed = comments.filter((line) => !/^(auto_claim|lease_secs) =/.test(line));
    for (const line of changed) expect(after).toContain(line);
    expect(after.startsWith(before.split('\n').slice(0, 3).join('\n'))).toBe(true);
    expect(await t.json('config', 'agent_clis.my-ai.command')).toEqual({
      key: 'agent_clis.my-ai.command',
      value: 'my-ai --yes',
    });
    expect(await t.json('config', 'townhall.rest_port')).toMatchObject({ value: 8181 });
    expect(await t.json('config', 'agent.auto_claim')).toMatchObject({ value: true });
  });
});

describe('tt config --global', () => {
  it('keeps this machine’s defaults in TT_HOME/config.toml and tt init copies them into a new town', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'tt-machine-'));
    try {
      const env = { ...t.env, TT_HOME: join(scratch, 'home') };
      const file = join(scratch, 'home', 'config.toml');
      const tt = (...args: string[]) => runTt(args, { cwd: scratch, env });

      // A default that names no known CLI is refused and nothing is written.
      const unknown = await tt('config', '--global', 'default_cli', 'my-ai');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/Unknown agent CLI 'my-ai'/);
      expect(existsSync(file)).toBe(false);

      const command = cliCommand(RECORDER);
      expect((await tt('config', '--global', 'agent_clis.my-ai', JSON.stringify({ command }))).code).toBe(0);
      expect((await tt('config', '--global', 'default_cli', 'my-ai')).code).toBe(0);
      expect((await tt('config', '-g', 'conductor_cli', 'codex')).code).toBe(0);
      const written = readFileSync(file, 'utf8');
      const broken = await tt('config', '--global', 'agent_clis.other', JSON.stringify({ cmd: 'x' }));
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(
        /Cannot set agent_clis\.other to '\{"cmd":"x"\}': agent_clis\.other\.command: /,
      );
      expect(readFileSync(file, 'utf8')).toBe(written);
      const shown = JSON.parse((await tt('config', '--global', '--json')).stdout);
      expect(shown).toEqual({
        file,
        config: {
          default_cli: 'my-ai',
          conductor_cli: 'codex',
          agent_clis: { 'my-ai': { command, env: {} } },
        },
      });
      expect(JSON.parse((await tt('config', '-g', 'default_cli', '--json')).stdout)).toEqual({
        key: 'default_cli',
        value: 'my-ai',
      });

      const town = join(scratch, 'town');
      mkdirSync(town);
      const init = await runTt(['init', '--no-start', '--json'], { cwd: town, env });
      expect(init.code, init.stderr).toBe(0);
      expect(JSON.parse(init.stdout)).toMatchObject({ defaults_from: file });
      const config = async (key: string) =>
        JSON.parse((await runTt(['config', key, '--json'], { cwd: town, env })).stdout).value;
      expect(await config('default_cli')).toBe('my-ai');
      expect(await config('conductor_cli')).toBe('codex');
      expect(await config('agent_clis.my-ai.command')).toBe(command);
      // The town keeps what it was given: later machine changes do not reach it.
      await tt('config', '--global', 'default_cli', 'claude');
      expect(await config('default_cli')).toBe('my-ai');

      // --cli still wins, and the machine's own CLIs come along.
      const other = join(scratch, 'other');
      mkdirSync(other);
      expect((await runTt(['init', '--no-start', '--cli', 'aider'], { cwd: other, env })).code).toBe(0);
      const otherToml = readFileSync(join(other, 'tinytown.toml'), 'utf8');
      expect(otherToml).toMatch(/^default_cli = "aider"$/m);
      expect(otherToml).toMatch(/^\[agent_clis\.my-ai\]$/m);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('refuses to create a town from a broken machine config, naming the file', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'tt-machine-'));
    try {
      const home = join(scratch, 'home');
      mkdirSync(home);
      writeFileSync(join(home, 'config.toml'), 'default_cli = "claude"\nmax_agents = 3\n');
      const env = { ...t.env, TT_HOME: home };
      const init = await runTt(['init', '--no-start'], { cwd: scratch, env });
      expect(init.code).toBe(1);
      expect(init.stderr.trim()).toMatch(/config\.toml: .*max_agents/);
      expect(existsSync(join(scratch, 'tinytown.toml'))).toBe(false);
      // A file that is not TOML at all is named too, and setting a key leaves it as it was.
      writeFileSync(join(home, 'config.toml'), 'default_cli = [\n');
      const set = await runTt(['config', '--global', 'default_cli', 'codex'], { cwd: scratch, env });
      expect(set.code).toBe(1);
      expect(set.stderr).toMatch(/^tt: error: Cannot parse .*config\.toml: /);
      expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe('default_cli = [\n');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('tt status --deep', () => {
  it('shows the last lines of a round log the CLI filled with more output than a string can hold', async () => {
    const town = await Town.connect({ url: redis.current.url, town: t.name });
    try {
      const agent = await town.agents.register({ name: 'chatty', cli: 'claude' });
      const logDir = join(t.dir, '.tt', 'logs', agent.id);
      mkdirSync(logDir, { recursive: true });
      const log = join(logDir, `round-1-${Date.now()}.log`);
      // 600 MB without using the disk: a hole, then the round's last words.
      writeFileSync(log, '');
      truncateSync(log, 600 * 1024 * 1024);
      appendFileSync(log, '\nthe last thing the CLI said\n[tinytown] round ended: exit code 0\n');
      const deep = await t.json<{ agents: { name: string; last_round: { tail: string[] } | null }[] }>(
        'status',
        '--deep',
      );
      const tail = deep.agents.find((entry) => entry.name === 'chatty')?.last_round?.tail ?? [];
      expect(tail.slice(-2)).toEqual(['the last thing the CLI said', '[tinytown] round ended: exit code 0']);
    } finally {
      await town.close();
    }
  });
});
