import type { Agent, Task } from '@tinytown/core';

export const ROLE_HINTS = [
  'frontend',
  'backend',
  'tester',
  'reviewer',
  'docs',
  'devops',
  'security',
  'general',
] as const;
export type RoleHint = (typeof ROLE_HINTS)[number];

interface RoleWords {
  /** Words in an agent's role id or name that say it has this role. */
  readonly agentWords: readonly string[];
  /** Words in a task's tags or description that make it this role's work. */
  readonly taskWords: readonly string[];
}

/**
 * The role table, first match wins. Every entry is a whole word: the original matched substrings, so
 * "builder" counted as UI work and "feedback" as backend work.
 */
export const ROLE_KEYWORDS: Readonly<Record<Exclude<RoleHint, 'general'>, RoleWords>> = {
  frontend: {
    agentWords: ['frontend', 'front', 'fe', 'ui', 'ux', 'web', 'client'],
    taskWords: ['frontend', 'ui', 'ux', 'web', 'client', 'css', 'component', 'components'],
  },
  backend: {
    agentWords: ['backend', 'back', 'be', 'api', 'server'],
    taskWords: ['backend', 'api', 'server', 'database', 'db', 'data', 'endpoint', 'endpoints'],
  },
  tester: {
    agentWords: ['tester', 'test', 'tests', 'qa'],
    taskWords: ['test', 'tests', 'testing', 'qa', 'validation', 'regression'],
  },
  reviewer: {
    agentWords: ['reviewer', 'review', 'audit', 'auditor'],
    taskWords: ['review', 'reviewer', 'qa', 'security', 'audit', 'validation'],
  },
  docs: {
    agentWords: ['docs', 'doc', 'writer', 'documentation'],
    taskWords: ['docs', 'doc', 'documentation', 'spec', 'readme', 'guide'],
  },
  devops: {
    agentWords: ['devops', 'ops', 'infra', 'deploy', 'sre'],
    taskWords: ['devops', 'ops', 'infra', 'deploy', 'deployment', 'ci', 'reliability'],
  },
  security: {
    agentWords: ['security', 'sec', 'appsec'],
    taskWords: ['security', 'sec', 'vulnerability', 'vulnerabilities', 'hardening', 'audit', 'cve'],
  },
};

/** Lower-case words of a text; `-`, `_`, `/`, `.` and camelCase humps all separate words. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

function roleFromWords(words: readonly string[]): RoleHint | undefined {
  for (const [role, table] of Object.entries(ROLE_KEYWORDS) as [RoleHint, RoleWords][]) {
    if (table.agentWords.some((word) => words.includes(word))) return role;
  }
  return undefined;
}

/**
 * The role an agent's backlog view is filtered by: its role id first (the original looked only at the
 * name and ignored `--role`), then the words of its name, else `general`.
 */
export function inferRoleHint(agent: Pick<Agent, 'name' | 'role_id'>): RoleHint {
  return (
    (agent.role_id ? roleFromWords(wordsOf(agent.role_id)) : undefined) ??
    roleFromWords(wordsOf(agent.name)) ??
    'general'
  );
}

export function taskMatchesRole(task: Pick<Task, 'description' | 'tags'>, role: RoleHint): boolean {
  if (role === 'general') return true;
  const keywords = ROLE_KEYWORDS[role].taskWords;
  const words = new Set([...task.tags.flatMap(wordsOf), ...wordsOf(task.description)]);
  return keywords.some((keyword) => words.has(keyword));
}

export type BacklogTask = Pick<Task, 'id' | 'description' | 'tags'>;

export interface BacklogSnapshot {
  readonly role: RoleHint;
  /** Tasks in the backlog, matching or not. */
  readonly total: number;
  readonly matchingCount: number;
  /** The first matches in backlog order, at most the limit. */
  readonly matches: readonly BacklogTask[];
}

export const BACKLOG_SNAPSHOT_LIMIT = 8;

export function backlogSnapshot(
  backlog: readonly BacklogTask[],
  role: RoleHint,
  limit = BACKLOG_SNAPSHOT_LIMIT,
): BacklogSnapshot {
  const matching = backlog.filter((task) => taskMatchesRole(task, role));
  return { role, total: backlog.length, matchingCount: matching.length, matches: matching.slice(0, limit) };
}
