import type { WorkKind } from '@tinytown/core';

/**
 * Kind and owner role are guessed from an issue's labels first (people put them there on purpose), then
 * from whole words of its text. Whole words, because substrings misroute work: "ui" is inside "build",
 * "spec" inside "inspect", "api" inside "rapid", "fix" inside "prefix".
 */

interface Rule<T> {
  value: T;
  words: readonly string[];
}

const KIND_RULES: readonly Rule<WorkKind>[] = [
  { value: 'design', words: ['design', 'rfc', 'proposal'] },
  { value: 'test', words: ['test', 'tests', 'testing', 'spec', 'specs', 'e2e'] },
  { value: 'review', words: ['review', 'audit'] },
  { value: 'merge_gate', words: ['merge', 'merge-gate', 'merge_gate', 'mergegate'] },
  { value: 'followup', words: ['followup', 'follow-up', 'fix', 'bugfix', 'hotfix'] },
];

const ROLE_RULES: readonly Rule<string>[] = [
  { value: 'backend', words: ['backend', 'back-end', 'api', 'server', 'database'] },
  { value: 'frontend', words: ['frontend', 'front-end', 'ui', 'ux', 'web', 'css'] },
  { value: 'tester', words: ['qa', 'tester'] },
  { value: 'reviewer', words: ['reviewer'] },
  { value: 'devops', words: ['devops', 'infrastructure', 'infra', 'deploy', 'deployment'] },
];

const escapeRegExp = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function wordPattern(words: readonly string[]): RegExp {
  // `\b` treats `-` as a boundary, so "follow-up" must not be followed or preceded by more of a word.
  return new RegExp(`(?<![\\w-])(?:${words.map(escapeRegExp).join('|')})(?![\\w-])`, 'i');
}

const compiled = <T>(rules: readonly Rule<T>[]) =>
  rules.map((rule) => ({ ...rule, pattern: wordPattern(rule.words) }));
const KIND_PATTERNS = compiled(KIND_RULES);
const ROLE_PATTERNS = compiled(ROLE_RULES);

/** `type: design`, `kind/test`, `area:backend` and plain `design` all name `design`. */
function labelWords(labels: readonly string[]): string[] {
  return labels.flatMap((label) => {
    const lower = label.trim().toLowerCase();
    return [lower, ...lower.split(/[\s:/]+/)].filter((word) => word.length > 0);
  });
}

function fromLabels<T>(rules: readonly Rule<T>[], labels: readonly string[]): T | null {
  const words = new Set(labelWords(labels));
  return rules.find((rule) => rule.words.some((word) => words.has(word)))?.value ?? null;
}

function fromText<T>(rules: ReturnType<typeof compiled<T>>, text: string): T | null {
  return rules.find((rule) => rule.pattern.test(text))?.value ?? null;
}

export interface IssueText {
  title: string;
  body: string;
  labels: readonly string[];
}

/** A title that opens with one of these asks for code, whatever the body goes on to mention. */
const IMPLEMENT_TITLE = /^\s*(?:add|implement|build|create|support|introduce|make|allow|enable|refactor)\b/i;

/**
 * Kinds that, after "Add …"/"Implement …", name the feature being built rather than the work: "Implement
 * audit log" and "Add review reminders" are code for a developer, not a review for the reviewer (who would
 * get it, and it would skip the review gate); "Build the merge queue" is no merge gate.
 */
const FEATURE_WORDS: ReadonlySet<WorkKind> = new Set(['review', 'merge_gate']);

/**
 * The title is read before the body, and a title that opens with "Add …"/"Implement …" settles it: an
 * issue "Add login endpoint" whose body says "also add tests" is implementation work, not a test item.
 */
export function inferKind(issue: IssueText): WorkKind {
  const opensWithCode = IMPLEMENT_TITLE.test(issue.title);
  const titled = fromText(KIND_PATTERNS, issue.title);
  return (
    fromLabels(KIND_RULES, issue.labels) ??
    (titled && !(opensWithCode && FEATURE_WORDS.has(titled)) ? titled : null) ??
    (opensWithCode ? 'implement' : null) ??
    fromText(KIND_PATTERNS, issue.body) ??
    'implement'
  );
}

/** `null` when nothing says who should do it: the scheduler then routes by kind alone. */
export function inferOwnerRole(issue: IssueText, kind: WorkKind): string | null {
  const labelled = fromLabels(ROLE_RULES, issue.labels);
  if (labelled) return labelled;
  // Test and review work goes to those lanes whatever area it touches.
  if (kind === 'test') return 'tester';
  if (kind === 'review') return 'reviewer';
  return fromText(ROLE_PATTERNS, `${issue.title}\n${issue.body}`);
}
