#!/usr/bin/env node
// `pnpm demo`: the whole Tinytown loop with no AI CLI installed. It makes a throwaway town (with its own
// redis-server), spawns two agents whose "AI CLI" is examples/echo-agent.mjs, assigns two tasks, puts three
// in the backlog (the agents claim the ones matching their role), prints progress as the tasks complete,
// then stops everything. Pass --keep to leave the town directory behind for a look around.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TT = resolve(here, '../apps/cli/dist/main.js');
const ECHO_AGENT = resolve(here, 'echo-agent.mjs');
const keep = process.argv.includes('--keep');
const LIMIT_MS = 60_000;

if (!existsSync(TT)) {
  console.error("demo: apps/cli is not built; run 'pnpm build' (or 'pnpm demo', which builds first)");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'tt-demo-'));
const env = { ...process.env, TT_HOME: join(dir, '.home'), ECHO_AGENT_DELAY_MS: '400' };
// The demo town runs its own redis-server on a socket in its directory.
delete env.REDIS_URL;
delete env.TT_TOWN;
delete env.TINYTOWN_AGENT_ID;
delete env.TINYTOWN_AGENT_NAME;

const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

function tt(args, { quiet = false } = {}) {
  if (!quiet)
    console.log(`${clock()}  $ tt ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  return new Promise((done, fail) => {
    execFile(process.execPath, [TT, ...args], { cwd: dir, env }, (error, stdout, stderr) => {
      if (error) fail(new Error(`tt ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else done(stdout);
    });
  });
}
const json = async (...args) => JSON.parse(await tt([...args, '--json'], { quiet: true }));

async function main() {
  console.log(`Tinytown demo in ${dir}\n`);
  await tt(['init', '--name', `demo-${process.pid}`]);
  await json(
    'config',
    'agent_clis.echo',
    JSON.stringify({ command: `"${process.execPath}" "${ECHO_AGENT}"` }),
  );
  await json('config', 'agent.auto_claim', 'true');
  await json('config', 'agent.max_rounds', '50');
  await tt(['spawn', 'alice', '--cli', 'echo', '--role', 'backend']);
  await tt(['spawn', 'bob', '--cli', 'echo', '--role', 'docs']);
  await tt([
    'assign',
    'alice',
    'Add a /health endpoint to the API server\nIt returns {"status":"ok"} and the uptime.',
  ]);
  await tt(['assign', 'bob', 'Write the README section "Running a town"']);
  await tt(['backlog', 'add', 'Add pagination to GET /orders', '--tags', 'backend,api']);
  await tt(['backlog', 'add', 'Document the [agent] settings of tinytown.toml', '--tags', 'docs']);
  await tt(['backlog', 'add', 'Write the API reference page for /v1/tasks', '--tags', 'docs']);
  console.log(`\n${clock()}  Agents at work (backlog tasks are claimed by the agent whose role fits):\n`);

  const seen = new Map();
  for (;;) {
    const status = await json('status', '--tasks');
    const names = new Map(status.agents.map((agent) => [agent.id, agent.name]));
    for (const task of status.task_list) {
      if (seen.get(task.id) === task.state) continue;
      seen.set(task.id, task.state);
      const who = task.assigned_to ? names.get(task.assigned_to) : 'backlog';
      console.log(
        `${clock()}  ${task.state.padEnd(9)} ${String(who).padEnd(7)} ${task.description.split('\n')[0]}`,
      );
    }
    const { total, completed } = status.tasks;
    if (total > 0 && completed === total) break;
    if (Date.now() - started > LIMIT_MS)
      throw new Error(`not done after ${LIMIT_MS / 1000}s: ${completed}/${total} tasks completed`);
    await new Promise((done) => setTimeout(done, 500));
  }

  console.log(`\n${clock()}  All tasks completed.\n`);
  process.stdout.write(await tt(['status', '--tasks'], { quiet: true }));
  const work = readdirSync(join(dir, 'work'));
  console.log(`\nThe agents wrote ${work.length} file(s) under ${join(dir, 'work')}.`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await tt(['down'], { quiet: true }).catch((error) => console.error(error.message));
  if (keep) console.log(`Town kept at ${dir} (its Redis is stopped; 'tt --town ${dir} up' brings it back).`);
  else rmSync(dir, { recursive: true, force: true });
  console.log(`${clock()}  Stopped the agents and the town's redis-server.`);
}
process.exit(failed ? 1 : 0);
