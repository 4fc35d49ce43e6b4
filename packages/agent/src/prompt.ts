import { type Agent, displayName, effectiveRole, type MessageBody, plural, type Task } from '@tinytown/core';
import type { BacklogSnapshot } from './backlog-match.js';
import { fencedBlock, inlineCode } from './markdown.js';
import { oneLine, type RoundClassification } from './round-classifier.js';

export type PromptAgent = Pick<Agent, 'id' | 'name' | 'nickname' | 'role_id'>;
/** What the prompt shows of a task named by a `task_assign` message. */
export type PromptTask = Pick<Task, 'id' | 'description' | 'state' | 'tags'>;

export interface RoundPromptInput {
  readonly agent: PromptAgent;
  readonly town: string;
  /** 1-based. */
  readonly round: number;
  readonly maxRounds: number;
  readonly messages: RoundClassification;
  /** Task records for the round's `task_assign` messages, by id; a missing one is reported as such. */
  readonly tasks: ReadonlyMap<string, PromptTask>;
  /** The agent's other unfinished tasks (from earlier rounds), not among this round's messages. */
  readonly openTasks?: readonly PromptTask[] | undefined;
  readonly backlog: BacklogSnapshot;
}

export const INFO_LINES_SHOWN = 8;
const BACKLOG_LINE_MAX = 120;

/**
 * The ids the model may use. Descriptions often quote mission or work-item UUIDs, and the original's
 * agents completed those by mistake; saying which ids are real is cheaper than cleaning up after it.
 */
function taskAssignSection(taskId: string, task: PromptTask | undefined): string[] {
  const lines = [`Task id: ${inlineCode(taskId)}`];
  if (!task) {
    lines.push(
      `The task record could not be read; run ${inlineCode(`tt task show ${taskId}`)} for its details.`,
    );
  } else {
    lines.push(`State: ${task.state}`);
    if (task.state === 'running') {
      lines.push(
        'You took this task on in an earlier round and it is still open: finish it, or complete it now if it is already done.',
      );
    }
    if (task.tags.length > 0) lines.push(`Tags: ${task.tags.map((tag) => inlineCode(tag)).join(', ')}`);
    lines.push('', 'Description (complete, as written by the sender):', '', fencedBlock(task.description));
  }
  lines.push(
    '',
    `When it is done: ${inlineCode(`tt task complete ${taskId} --result "<what you changed and where>"`)}`,
    `If you cannot do it: ${inlineCode(`tt task fail ${taskId} --reason "<what blocks it>"`)}`,
  );
  return lines;
}

function bodyText(body: MessageBody): { heading: string; text: string | undefined } {
  switch (body.type) {
    case 'task':
      return { heading: 'Task', text: body.description };
    case 'query':
      return { heading: 'Question', text: body.question };
    case 'status_request':
      return { heading: 'Status request', text: undefined };
    case 'shutdown':
      return { heading: 'Shutdown request', text: undefined };
    case 'custom':
      return { heading: `Message (${oneLine(body.kind, 40)})`, text: body.payload };
    default:
      return { heading: 'Message', text: undefined };
  }
}

function replyHint(body: MessageBody, replyTo: string): string | undefined {
  const to = replyTo.includes(' ') ? `"${replyTo}"` : replyTo;
  switch (body.type) {
    case 'query':
    case 'status_request':
      return `Answer with ${inlineCode(`tt send ${to} --info "<your answer>"`)}.`;
    case 'shutdown':
      return 'Finish or hand off what you are doing, report where things stand, and take on no new work.';
    case 'task':
    case 'custom':
      return `Report back with ${inlineCode(`tt send ${to} --info "<result>"`)} when done, or ask with ${inlineCode(`tt send ${to} --query "<question>"`)}.`;
    default:
      return undefined;
  }
}

function actionableSection(input: RoundPromptInput): string[] {
  const { actionable } = input.messages;
  const urgentCount = actionable.filter((item) => item.urgent).length;
  const lines = ['## Work for this round', ''];
  if (actionable.length === 0) {
    lines.push('No messages need action this round.');
    return lines;
  }
  lines.push(
    `You have ${plural(actionable.length, 'message')} to act on (${urgentCount} urgent). They were taken from your inbox for this round; handle them in this order.`,
  );
  actionable.forEach((item, index) => {
    const tag = item.urgent ? '[URGENT]' : '[normal]';
    const from = `from ${item.senderName}`;
    const { message } = item;
    lines.push('');
    if (message.type === 'task_assign') {
      lines.push(`### ${index + 1}. ${tag} Task assignment ${from}`, '');
      lines.push(...taskAssignSection(message.task_id, input.tasks.get(message.task_id)));
      return;
    }
    const { heading, text } = bodyText(message);
    lines.push(`### ${index + 1}. ${tag} ${heading} ${from}`, '');
    if (text !== undefined) lines.push(fencedBlock(text), '');
    const hint = replyHint(message, item.replyTo);
    if (hint) lines.push(hint);
  });
  return lines;
}

function openTasksSection(input: RoundPromptInput): string[] {
  const open = input.openTasks ?? [];
  if (open.length === 0) return [];
  const lines = [
    '',
    '## Your unfinished tasks from earlier rounds',
    '',
    'Still yours and still open; each ends with `tt task complete <task-id>` or `tt task fail <task-id>`:',
    '',
  ];
  for (const task of open) {
    lines.push(`- ${inlineCode(task.id)} (${task.state}) ${oneLine(task.description, BACKLOG_LINE_MAX)}`);
  }
  return lines;
}

function informationalSection(input: RoundPromptInput): string[] {
  const { informational, confirmations } = input.messages;
  const lines: string[] = [];
  if (informational.length > 0) {
    lines.push('', '## For your information (no action needed)', '');
    for (const line of informational.slice(0, INFO_LINES_SHOWN)) lines.push(`- ${line}`);
    const rest = informational.length - INFO_LINES_SHOWN;
    if (rest > 0) lines.push(`- …and ${rest} more`);
  }
  if (confirmations.length > 0) {
    lines.push('', '## Acknowledgements received (no reply needed)', '');
    for (const { summary, count } of confirmations) lines.push(`- ${summary} ×${count}`);
  }
  return lines;
}

function backlogSection(input: RoundPromptInput): string[] {
  const { backlog, agent } = input;
  const lines = ['', `## Backlog (your role: ${backlog.role})`, ''];
  if (backlog.total === 0) {
    lines.push('The backlog is empty.');
    return lines;
  }
  lines.push(
    `In the backlog: ${plural(backlog.total, 'task')}, ${backlog.matchingCount} matching your role.`,
  );
  if (backlog.matchingCount === 0) {
    lines.push('None is yours to take: leave the backlog to agents whose role fits.');
    return lines;
  }
  lines.push(
    `Only once the work above is handled, you may claim ONE of these with ${inlineCode(`tt backlog claim <task-id> ${agent.name}`)}:`,
    '',
  );
  for (const task of backlog.matches) {
    const tags = task.tags.length > 0 ? ` (tags: ${oneLine(task.tags.join(', '), 80)})` : '';
    lines.push(`- ${inlineCode(task.id)} ${oneLine(task.description, BACKLOG_LINE_MAX)}${tags}`);
  }
  const rest = backlog.matchingCount - backlog.matches.length;
  if (rest > 0) lines.push(`- …and ${rest} more (${inlineCode('tt backlog list')})`);
  return lines;
}

function commandsSection(agent: PromptAgent): string[] {
  const me = agent.name;
  return [
    '',
    '## Commands you can use',
    '',
    '```sh',
    'tt task current                                       # the task you are working on, with its real id',
    'tt task show <task-id>                                # one task in full',
    'tt task complete <task-id> --result "<summary>"       # finish a task',
    'tt task fail <task-id> --reason "<what blocks it>"    # give up on a task, saying why',
    'tt send <agent> "<task text>"                         # hand work to another agent',
    'tt send <agent> --query "<question>"                  # ask; add --urgent only when it cannot wait',
    'tt send <agent> --info "<update>"                     # tell; conductor is the human-facing mailbox',
    'tt send <agent> --ack "thanks"                        # acknowledge',
    'tt backlog list                                       # unassigned tasks',
    `tt backlog claim <task-id> ${me}${' '.repeat(Math.max(1, 27 - me.length))}# take a backlog task`,
    `tt inbox ${me}${' '.repeat(Math.max(1, 45 - me.length))}# messages that arrived after this round began`,
    '```',
  ];
}

function rulesSection(): string[] {
  return [
    '',
    '## How to work',
    '',
    '1. Handle every message under "Work for this round", urgent ones first.',
    '2. Task ids are the ones labelled "Task id" above or printed by `tt task current`. UUIDs inside descriptions (missions, work items, other tasks) are not your task id; never complete those.',
    '3. End every task you were given with `tt task complete` (what changed, where) or `tt task fail` (why). A task left open keeps you busy forever.',
    '4. Hand-offs and reviews go straight to the agent concerned with `tt send`. Write to `conductor` for decisions a human must make, priorities, escalations, and to keep them informed.',
    '5. When blocked, send one specific question instead of guessing.',
    '6. Claim at most one backlog task per round, only one that fits your role, and only after your assigned work.',
    '7. Your `tt` commands already know who you are (TINYTOWN_AGENT_ID); no --from is needed.',
    "8. This round's messages are already above: run only the commands the work needs, then stop. The next round starts when new messages arrive.",
  ];
}

/**
 * The markdown handed to the agent's CLI for one round. Descriptions are shown in full (the original
 * cut them to one line), senders by name, and everything the sender wrote is fenced as data.
 */
export function buildRoundPrompt(input: RoundPromptInput): string {
  const { agent, town, round, maxRounds } = input;
  const role = effectiveRole(agent);
  const who = displayName(agent);
  const lines = [
    `# ${who} — round ${round} of ${maxRounds}`,
    '',
    `You are ${inlineCode(who)} (agent name ${inlineCode(agent.name)}, role ${inlineCode(role)}), an AI coding agent in the Tinytown town ${inlineCode(town)}. Other agents and a human conductor send you work through Tinytown; you report back through the ${inlineCode('tt')} command.`,
    '',
    ...actionableSection(input),
    ...openTasksSection(input),
    ...informationalSection(input),
    ...backlogSection(input),
    ...commandsSection(agent),
    ...rulesSection(),
    '',
    `Round ${round} of ${maxRounds}: ${input.messages.actionable.length} actionable, ${input.messages.informational.length} informational, ${plural(
      input.messages.confirmations.reduce((sum, c) => sum + c.count, 0),
      'acknowledgement',
    )}.`,
    '',
  ];
  return lines.join('\n');
}
