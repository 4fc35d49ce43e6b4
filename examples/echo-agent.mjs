#!/usr/bin/env node
// The example "AI CLI" Tinytown ships for its demo and tests: no model, no network. Like a real agent CLI
// it gets the round prompt on stdin, runs in the town directory, and acts through `tt` (which the agent
// runtime puts on its PATH). For every task in the prompt it "does the work" — writes the description to
// work/<task-id>.md — and completes the task with `tt task complete`.
//
// Knobs: ECHO_AGENT_DELAY_MS (default 300) pretends to think for that long per task.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const prompt = readFileSync(0, 'utf8');
const delay = Number(process.env.ECHO_AGENT_DELAY_MS ?? '300');
const me = process.env.TINYTOWN_AGENT_NAME ?? 'echo-agent';

// The runtime labels each task's real id as "Task id: `<uuid>`", followed by its description in a fence.
const tasks = [...prompt.matchAll(/Task id: `([0-9a-f-]{36})`[\s\S]*?(`{3,})[a-z]*\n([\s\S]*?)\n\2/g)].map(
  (match) => ({
    id: match[1],
    description: match[3],
  }),
);

// Arguments go to `tt` as an argv array, never through a shell: task text is data, not commands.
const tt = (...args) => execFileSync('tt', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

for (const task of tasks) {
  await new Promise((resolve) => setTimeout(resolve, delay));
  mkdirSync('work', { recursive: true });
  const file = join('work', `${task.id}.md`);
  writeFileSync(file, `# Done by ${me}\n\n${task.description}\n`);
  tt(
    'task',
    'complete',
    task.id,
    '--result',
    `${me} wrote ${file}: ${task.description.split('\n')[0].slice(0, 80)}`,
  );
  console.log(`${me}: completed ${task.id}`);
}
if (tasks.length === 0) console.log(`${me}: nothing to do in this round`);
