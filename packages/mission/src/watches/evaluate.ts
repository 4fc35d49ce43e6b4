import type { WatchKind } from '@tinytown/core';
import type {
  ForgeCheckRun,
  ForgeCombinedStatus,
  ForgeComment,
  ForgePullRequest,
  ForgeReview,
} from '../forge/forge.js';

/** Everything a watch looks at for one pull request, read from the forge at one moment. */
export interface PrSnapshot {
  pull: ForgePullRequest;
  checkRuns: readonly ForgeCheckRun[];
  status: ForgeCombinedStatus | null;
  reviews: readonly ForgeReview[];
  reviewComments: readonly ForgeComment[];
  issueComments: readonly ForgeComment[];
}

/**
 * What a watch has already acted on, kept with the watch between polls. Findings are keyed so that the
 * same failing check or the same comment is reported once however often it is polled; GitHub keeps
 * addressed comments and CHANGES_REQUESTED reviews in its listings forever.
 */
export interface WatchSeen {
  /** `run:<id>:<conclusion>` and `status:<context>@<sha>:<state>`. */
  checks: string[];
  /** `issue-comment:<id>`, `review-comment:<id>`, `review:<id>`, and one-off events (`conflict:<sha>`, `closed:<n>`). */
  comments: string[];
  /** Head commit when findings were last reported: comment findings are addressed only by a newer commit. */
  acted_at_sha: string | null;
}

export type FindingKind =
  | 'check_failed'
  | 'bot_comment'
  | 'changes_requested'
  | 'review_comment'
  | 'merge_conflict'
  | 'pr_closed';

export interface WatchFinding {
  key: string;
  kind: FindingKind;
  /** One line for a fix task's description. */
  summary: string;
  author: string | null;
  body: string | null;
  url: string | null;
}

export type CiState = 'success' | 'pending' | 'failure' | 'none';

export interface WatchEvaluation {
  /** New findings only: one fix task each. */
  findings: WatchFinding[];
  /** The watch has nothing left to wait for and can be marked done. */
  resolved: boolean;
  ci: CiState;
  nextSeen: WatchSeen;
}

export interface EvaluateOptions {
  /** Which comment authors are code-review bots; Cursor's Bugbot by default. */
  botAuthor?: RegExp;
}

/** Seen keys are kept per category up to this many, oldest dropped: enough for any real PR. */
export const MAX_SEEN_KEYS = 1000;
const DEFAULT_BOT_AUTHOR = /bugbot|cursor/i;
const BOT_BODY = /\bbugbot\b/i;

export function emptySeen(): WatchSeen {
  return { checks: [], comments: [], acted_at_sha: null };
}

const SUCCESS_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);
const FAILURE_CONCLUSIONS = new Set([
  'failure',
  'timed_out',
  'action_required',
  'cancelled',
  'startup_failure',
]);

type Outcome = 'success' | 'pending' | 'failure';

/**
 * An unfinished run has no conclusion yet and counts as pending: the original read the empty conclusion
 * as "unknown", ignored it, and called "one green, one still running" a success.
 */
function runOutcome(run: ForgeCheckRun): Outcome {
  if (run.status !== 'completed' || !run.conclusion) return 'pending';
  if (SUCCESS_CONCLUSIONS.has(run.conclusion)) return 'success';
  if (FAILURE_CONCLUSIONS.has(run.conclusion)) return 'failure';
  return 'pending';
}

/** Re-runs leave older runs of the same name behind; only the newest run of each name counts. */
function latestRuns(runs: readonly ForgeCheckRun[]): ForgeCheckRun[] {
  const byName = new Map<string, ForgeCheckRun>();
  for (const run of runs) {
    const current = byName.get(run.name);
    if (!current || run.id > current.id) byName.set(run.name, run);
  }
  return [...byName.values()];
}

interface CiSummary {
  state: CiState;
  failing: WatchFinding[];
}

export function summarizeCi(snapshot: Pick<PrSnapshot, 'checkRuns' | 'status' | 'pull'>): CiSummary {
  const outcomes: Outcome[] = [];
  const failing: WatchFinding[] = [];
  for (const run of latestRuns(snapshot.checkRuns)) {
    const outcome = runOutcome(run);
    outcomes.push(outcome);
    if (outcome === 'failure') {
      failing.push({
        key: `run:${run.id}:${run.conclusion}`,
        kind: 'check_failed',
        summary: `check '${run.name}' concluded ${run.conclusion}`,
        author: null,
        body: null,
        url: run.url,
      });
    }
  }
  for (const status of snapshot.status?.statuses ?? []) {
    const outcome: Outcome =
      status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure';
    outcomes.push(outcome);
    if (outcome === 'failure') {
      failing.push({
        key: `status:${status.context}@${snapshot.pull.head_sha}:${status.state}`,
        kind: 'check_failed',
        summary: `status '${status.context}' is ${status.state}${status.description ? `: ${status.description}` : ''}`,
        author: null,
        body: status.description,
        url: status.url,
      });
    }
  }
  const state: CiState = outcomes.includes('failure')
    ? 'failure'
    : outcomes.includes('pending')
      ? 'pending'
      : outcomes.length > 0
        ? 'success'
        : 'none';
  return { state, failing };
}

/**
 * Green CI, or no CI at all on a PR GitHub calls `clean` (nothing required is outstanding). The original
 * waited forever on repositories without checks.
 */
function ciIsGreen(ci: CiState, pull: ForgePullRequest): boolean {
  return ci === 'success' || (ci === 'none' && pull.mergeable_state === 'clean');
}

function commentFinding(
  prefix: string,
  kind: FindingKind,
  comment: ForgeComment,
  what: string,
): WatchFinding {
  const firstLine = comment.body.trim().split('\n')[0] ?? '';
  return {
    key: `${prefix}:${comment.id}`,
    kind,
    summary: `${what} from ${comment.author}: ${firstLine.slice(0, 120)}`,
    author: comment.author,
    body: comment.body,
    url: comment.url,
  };
}

function botFindings(snapshot: PrSnapshot, botAuthor: RegExp): WatchFinding[] {
  const isBot = (comment: ForgeComment) => botAuthor.test(comment.author) || BOT_BODY.test(comment.body);
  return [
    ...snapshot.issueComments
      .filter(isBot)
      .map((comment) => commentFinding('issue-comment', 'bot_comment', comment, 'bot comment')),
    ...snapshot.reviewComments
      .filter(isBot)
      .map((comment) => commentFinding('review-comment', 'bot_comment', comment, 'bot comment')),
  ];
}

/**
 * Reviews whose author's latest verdict is still "changes requested" (a later approval or dismissal
 * settles it), and inline comments from people other than the PR's author and the bots.
 */
function reviewFindings(snapshot: PrSnapshot, botAuthor: RegExp): WatchFinding[] {
  const latestVerdict = new Map<string, ForgeReview>();
  for (const review of snapshot.reviews) {
    if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
    const current = latestVerdict.get(review.author);
    if (!current || review.id > current.id) latestVerdict.set(review.author, review);
  }
  const findings: WatchFinding[] = [...latestVerdict.values()]
    .filter((review) => review.state === 'CHANGES_REQUESTED')
    .map((review) => ({
      key: `review:${review.id}`,
      kind: 'changes_requested' as const,
      summary: `${review.author} requested changes${review.body ? `: ${review.body.trim().split('\n')[0]?.slice(0, 120)}` : ''}`,
      author: review.author,
      body: review.body,
      url: null,
    }));
  const author = snapshot.pull.author;
  for (const comment of snapshot.reviewComments) {
    if (comment.author === author || botAuthor.test(comment.author)) continue;
    findings.push(commentFinding('review-comment', 'review_comment', comment, 'review comment'));
  }
  return findings;
}

function remember(list: readonly string[], keys: readonly string[]): string[] {
  const merged = [...list];
  for (const key of keys) if (!merged.includes(key)) merged.push(key);
  return merged.slice(-MAX_SEEN_KEYS);
}

const MERGEABLE_STATES = new Set(['clean', 'has_hooks', 'unstable']);

/**
 * Decides what one poll of a watch means. Pure: the caller fetched `snapshot` and stores `nextSeen`.
 * Polling the same state again yields no findings; a merged PR resolves every kind of watch.
 */
export function evaluateWatch(
  kind: WatchKind,
  snapshot: PrSnapshot,
  seen: WatchSeen = emptySeen(),
  options: EvaluateOptions = {},
): WatchEvaluation {
  const botAuthor = options.botAuthor ?? DEFAULT_BOT_AUTHOR;
  const { pull } = snapshot;
  const ci = summarizeCi(snapshot);
  const green = ciIsGreen(ci.state, pull);

  if (pull.state === 'merged') {
    return { findings: [], resolved: true, ci: ci.state, nextSeen: seen };
  }

  let candidates: WatchFinding[];
  let resolvedIfQuiet: boolean;
  switch (kind) {
    case 'pr_checks':
      candidates = ci.failing;
      resolvedIfQuiet = green;
      break;
    case 'bugbot_comments':
    case 'review_comments':
      candidates =
        kind === 'bugbot_comments' ? botFindings(snapshot, botAuthor) : reviewFindings(snapshot, botAuthor);
      // Comments already acted on are settled by a newer commit, not by the passage of time.
      resolvedIfQuiet = green && (seen.acted_at_sha === null || seen.acted_at_sha !== pull.head_sha);
      break;
    case 'mergeability':
      candidates =
        pull.mergeable === false && pull.mergeable_state === 'dirty'
          ? [
              {
                key: `conflict:${pull.head_sha}`,
                kind: 'merge_conflict',
                summary: `${pull.owner}/${pull.repo}#${pull.number} has merge conflicts with its base branch`,
                author: null,
                body: null,
                url: null,
              },
            ]
          : [];
      resolvedIfQuiet = pull.mergeable === true && MERGEABLE_STATES.has(pull.mergeable_state) && green;
      break;
  }

  if (pull.state === 'closed') {
    candidates = [
      {
        key: `closed:${pull.number}`,
        kind: 'pr_closed',
        summary: `${pull.owner}/${pull.repo}#${pull.number} was closed without being merged`,
        author: null,
        body: null,
        url: null,
      },
    ];
    resolvedIfQuiet = false;
  }

  const seenKeys = new Set([...seen.checks, ...seen.comments]);
  const findings = candidates.filter((finding) => !seenKeys.has(finding.key));
  const checkKeys = findings
    .filter((finding) => finding.kind === 'check_failed')
    .map((finding) => finding.key);
  const otherKeys = findings
    .filter((finding) => finding.kind !== 'check_failed')
    .map((finding) => finding.key);
  const nextSeen: WatchSeen = {
    checks: remember(seen.checks, checkKeys),
    comments: remember(seen.comments, otherKeys),
    acted_at_sha: findings.length > 0 ? pull.head_sha : seen.acted_at_sha,
  };
  return { findings, resolved: findings.length === 0 && resolvedIfQuiet, ci: ci.state, nextSeen };
}
