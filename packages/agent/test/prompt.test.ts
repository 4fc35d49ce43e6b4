import { CONDUCTOR_ID } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { backlogSnapshot } from '../src/backlog-match.js';
import { buildRoundPrompt, type PromptTask, type RoundPromptInput } from '../src/prompt.js';
import { classifyRound } from '../src/round-classifier.js';
import { AGENT_ID, aliceLookup, message } from './helpers.js';

const agent = { id: AGENT_ID, name: 'ui-dev', nickname: 'Mabel', role_id: 'frontend' };
const TASK_ID = '33333333-3333-4333-8333-333333333333';
const LONG_DESCRIPTION = [
  'Rebuild the settings page.',
  '',
  '## Acceptance',
  '- keyboard navigation works on every control',
  '- the mission id 44444444-4444-4444-8444-444444444444 is NOT the task id',
  '```ts',
  'const x = 1;',
  '```',
  'A'.repeat(400),
].join('\n');

function input(overrides: Partial<RoundPromptInput> = {}): RoundPromptInput {
  const messages = classifyRound(
    [
      message({ type: 'task_assign', task_id: TASK_ID }),
      message({ type: 'query', question: 'Which branch should I review?\nThe old one?' }, { urgent: true }),
      message({ type: 'task', description: 'Ping the docs team' }, { from: CONDUCTOR_ID }),
      ...Array.from({ length: 11 }, (_, i) => message({ type: 'informational', summary: `update ${i}` })),
      message({ type: 'confirmation', ack_type: { type: 'thanks' } }),
      message({ type: 'confirmation', ack_type: { type: 'thanks' } }),
    ],
    aliceLookup,
  );
  const tasks = new Map<string, PromptTask>([
    [TASK_ID, { id: TASK_ID, description: LONG_DESCRIPTION, state: 'assigned', tags: ['ui'] }],
  ]);
  const backlog = backlogSnapshot(
    [
      ...Array.from({ length: 10 }, (_, i) => ({
        id: crypto.randomUUID(),
        description: `Restyle UI widget ${i}`,
        tags: [],
      })),
      { id: crypto.randomUUID(), description: 'Fix the build', tags: [] },
    ],
    'frontend',
  );
  return { agent, town: 'shop', round: 2, maxRounds: 10, messages, tasks, backlog, ...overrides };
}

describe('buildRoundPrompt', () => {
  const prompt = buildRoundPrompt(input());

  it('names the agent, its role, the town and the round', () => {
    expect(prompt).toContain('Mabel');
    expect(prompt).toContain('`ui-dev`');
    expect(prompt).toContain('`frontend`');
    expect(prompt).toContain('`shop`');
    expect(prompt).toContain('round 2 of 10');
  });

  it('includes the full multi-line task description, fenced so its code block cannot escape', () => {
    expect(prompt).toContain(LONG_DESCRIPTION);
    expect(prompt).toContain(`\`\`\`\`text\n${LONG_DESCRIPTION}\n\`\`\`\``);
    expect(prompt).toContain(`Task id: \`${TASK_ID}\``);
    expect(prompt).toContain(`tt task complete ${TASK_ID} --result`);
    expect(prompt).toContain(`tt task fail ${TASK_ID} --reason`);
  });

  it('shows the full text of queries and tasks and who sent them, by name', () => {
    expect(prompt).toContain('Which branch should I review?\nThe old one?');
    expect(prompt).toContain('[URGENT] Question from Dorothy [reviewer]');
    expect(prompt).toContain('Task assignment from Dorothy [reviewer]');
    expect(prompt).toContain('Task from conductor');
    expect(prompt).toContain('tt send alice --info');
    expect(prompt).not.toContain('22222222-2222-4222-8222-222222222222');
  });

  it('lists urgent work first', () => {
    expect(prompt.indexOf('### 1. [URGENT] Question')).toBeGreaterThan(0);
    expect(prompt.indexOf('### 2. [normal] Task assignment')).toBeGreaterThan(prompt.indexOf('### 1.'));
  });

  it('caps informational lines at 8 and counts the rest', () => {
    expect(prompt).toContain('update 7');
    expect(prompt).not.toContain('update 8');
    expect(prompt).toContain('…and 3 more');
    expect(prompt).toContain('confirmation: thanks ×2');
  });

  it('shows at most 8 role-matching backlog tasks and how to claim one', () => {
    expect(prompt).toContain('In the backlog: 11 tasks, 10 matching your role.');
    expect(prompt).toContain('Restyle UI widget 7');
    expect(prompt).not.toContain('Restyle UI widget 8');
    expect(prompt).not.toContain('Fix the build');
    expect(prompt).toContain('…and 2 more');
    expect(prompt).toContain('tt backlog claim <task-id> ui-dev');
  });

  it('counts in words that fit the number: many here, one below', () => {
    expect(prompt).toContain('You have 3 messages to act on (1 urgent).');
    expect(prompt).toContain('Round 2 of 10: 3 actionable, 11 informational, 2 acknowledgements.');
    const one = buildRoundPrompt(
      input({
        messages: classifyRound(
          [
            message({ type: 'task_assign', task_id: TASK_ID }),
            message({ type: 'confirmation', ack_type: { type: 'thanks' } }),
          ],
          aliceLookup,
        ),
        backlog: backlogSnapshot(
          [{ id: crypto.randomUUID(), description: 'Restyle UI', tags: [] }],
          'frontend',
        ),
      }),
    );
    expect(one).toContain('You have 1 message to act on (0 urgent).');
    expect(one).toContain('In the backlog: 1 task, 1 matching your role.');
    expect(one).toContain('Round 2 of 10: 1 actionable, 0 informational, 1 acknowledgement.');
    expect(`${prompt}${one}`).not.toContain('(s)');
  });

  it('lists the tt commands the agent may use', () => {
    for (const command of [
      'tt task current',
      'tt task complete <task-id> --result',
      'tt task fail <task-id> --reason',
      'tt send <agent>',
      'tt backlog list',
      'tt backlog claim <task-id> ui-dev',
      'tt inbox ui-dev',
    ]) {
      expect(prompt).toContain(command);
    }
  });

  it('warns against completing UUIDs found inside descriptions', () => {
    expect(prompt).toMatch(/UUIDs inside descriptions .* are not your task id/);
  });

  it('says when a task record is missing instead of inventing a description', () => {
    const text = buildRoundPrompt(input({ tasks: new Map() }));
    expect(text).toContain(`tt task show ${TASK_ID}`);
    expect(text).toContain('could not be read');
  });

  it('tells the agent to leave unrelated backlog work alone', () => {
    const text = buildRoundPrompt(
      input({
        backlog: backlogSnapshot(
          [{ id: crypto.randomUUID(), description: 'Tune Postgres', tags: [] }],
          'frontend',
        ),
      }),
    );
    expect(text).toContain('In the backlog: 1 task, 0 matching your role.');
    expect(text).toContain('None is yours to take: leave the backlog to agents whose role fits.');
    expect(text).not.toContain('Tune Postgres');
  });

  it('renders a round with no messages and an empty backlog', () => {
    const text = buildRoundPrompt(
      input({
        messages: classifyRound([]),
        backlog: backlogSnapshot([], 'general'),
      }),
    );
    expect(text).toContain('No messages need action this round.');
    expect(text).toContain('The backlog is empty.');
    expect(text).not.toContain('For your information');
  });
});
