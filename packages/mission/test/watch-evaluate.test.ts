import { describe, expect, it } from 'vitest';
import {
  emptySeen,
  evaluateWatch,
  type ForgeCheckRun,
  type ForgePullRequest,
  failureBackoffSecs,
  type PrSnapshot,
  shouldEscalate,
  validateSnoozeSecs,
  WATCH_ESCALATION_THRESHOLD,
  WATCH_FAILURE_BACKOFF_SECS,
  WATCH_SNOOZE_MIN_SECS,
  type WatchSeen,
} from '../src/index.js';

const pull = (overrides: Partial<ForgePullRequest> = {}): ForgePullRequest => ({
  owner: 'acme',
  repo: 'app',
  number: 12,
  title: 'Login',
  state: 'open',
  author: 'worker-bot',
  head_sha: 'sha1',
  draft: false,
  mergeable: true,
  mergeable_state: 'clean',
  ...overrides,
});

const run = (id: number, name: string, conclusion: string | null, status = 'completed'): ForgeCheckRun => ({
  id,
  name,
  status,
  conclusion,
  url: null,
});

const snapshot = (overrides: Partial<PrSnapshot> = {}): PrSnapshot => ({
  pull: pull(),
  checkRuns: [],
  status: null,
  reviews: [],
  reviewComments: [],
  issueComments: [],
  ...overrides,
});

describe('pr_checks', () => {
  it('reports the same failing check once however often it is polled', () => {
    const failing = snapshot({ checkRuns: [run(1, 'lint', 'success'), run(2, 'test', 'failure')] });
    let seen: WatchSeen = emptySeen();
    const findings = [];
    for (let poll = 0; poll < 10; poll++) {
      const result = evaluateWatch('pr_checks', failing, seen);
      expect(result.resolved).toBe(false);
      expect(result.ci).toBe('failure');
      findings.push(...result.findings);
      seen = result.nextSeen;
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'check_failed', key: 'run:2:failure' });
    expect(findings[0]?.summary).toContain("'test'");
  });

  it('resolves once the fix is pushed and CI is green', () => {
    const first = evaluateWatch(
      'pr_checks',
      snapshot({ checkRuns: [run(2, 'test', 'failure')] }),
      emptySeen(),
    );
    const running = evaluateWatch(
      'pr_checks',
      snapshot({ pull: pull({ head_sha: 'sha2' }), checkRuns: [run(3, 'test', null, 'in_progress')] }),
      first.nextSeen,
    );
    expect(running).toMatchObject({ resolved: false, ci: 'pending', findings: [] });
    const green = evaluateWatch(
      'pr_checks',
      snapshot({ pull: pull({ head_sha: 'sha2' }), checkRuns: [run(3, 'test', 'success')] }),
      running.nextSeen,
    );
    expect(green).toMatchObject({ resolved: true, ci: 'success', findings: [] });
  });

  it('reports a new failure after a re-run fails again', () => {
    const first = evaluateWatch(
      'pr_checks',
      snapshot({ checkRuns: [run(2, 'test', 'failure')] }),
      emptySeen(),
    );
    const rerun = evaluateWatch(
      'pr_checks',
      snapshot({ checkRuns: [run(2, 'test', 'failure'), run(5, 'test', 'timed_out')] }),
      first.nextSeen,
    );
    expect(rerun.findings.map((finding) => finding.key)).toEqual(['run:5:timed_out']);
  });

  it('does not call one green and one running check a success', () => {
    const result = evaluateWatch(
      'pr_checks',
      snapshot({ checkRuns: [run(1, 'lint', 'success'), run(2, 'test', null, 'queued')] }),
    );
    expect(result).toMatchObject({ ci: 'pending', resolved: false });
  });

  it('counts failing commit statuses once per commit', () => {
    const status = {
      state: 'failure' as const,
      sha: 'sha1',
      statuses: [
        { id: 1, context: 'ci/test', state: 'failure' as const, description: 'boom', url: null },
        { id: 2, context: 'ci/lint', state: 'success' as const, description: null, url: null },
      ],
    };
    const first = evaluateWatch('pr_checks', snapshot({ status }));
    expect(first.findings.map((finding) => finding.key)).toEqual(['status:ci/test@sha1:failure']);
    expect(evaluateWatch('pr_checks', snapshot({ status }), first.nextSeen).findings).toEqual([]);
  });

  it('resolves a PR without any CI only when GitHub calls it clean', () => {
    expect(evaluateWatch('pr_checks', snapshot()).resolved).toBe(true);
    expect(
      evaluateWatch('pr_checks', snapshot({ pull: pull({ mergeable_state: 'unknown' }) })).resolved,
    ).toBe(false);
  });
});

describe('comment watches', () => {
  const botComment = { id: 70, author: 'cursor[bot]', body: 'Bug: null deref', created_at: 't', url: null };
  const human = { id: 71, author: 'alice', body: 'thanks!', created_at: 't', url: null };

  it('bugbot: one finding per new bot comment, then resolves after a new green commit', () => {
    const green = [run(1, 'test', 'success')];
    const first = evaluateWatch(
      'bugbot_comments',
      snapshot({ issueComments: [botComment, human], checkRuns: green }),
    );
    expect(first.findings.map((finding) => finding.key)).toEqual(['issue-comment:70']);
    expect(first.resolved).toBe(false);

    // The comment stays in GitHub's listing; the same head commit means it has not been addressed yet.
    const again = evaluateWatch(
      'bugbot_comments',
      snapshot({ issueComments: [botComment, human], checkRuns: green }),
      first.nextSeen,
    );
    expect(again).toMatchObject({ findings: [], resolved: false });

    const fixed = evaluateWatch(
      'bugbot_comments',
      snapshot({ pull: pull({ head_sha: 'sha2' }), issueComments: [botComment, human], checkRuns: green }),
      again.nextSeen,
    );
    expect(fixed).toMatchObject({ findings: [], resolved: true });
  });

  it('bugbot: clean and green resolves at once; a new bot comment is a new finding', () => {
    expect(evaluateWatch('bugbot_comments', snapshot({ issueComments: [human] })).resolved).toBe(true);
    const inline = { id: 80, author: 'alice', body: 'bugbot flagged this too', created_at: 't', url: null };
    const result = evaluateWatch('bugbot_comments', snapshot({ reviewComments: [inline] }));
    expect(result.findings.map((finding) => finding.key)).toEqual(['review-comment:80']);
  });

  it('review: latest verdict per reviewer counts, and each finding is reported once', () => {
    const reviews = [
      {
        id: 1,
        author: 'alice',
        state: 'CHANGES_REQUESTED' as const,
        body: 'rename it',
        submitted_at: null,
        commit_id: null,
      },
      {
        id: 2,
        author: 'bob',
        state: 'CHANGES_REQUESTED' as const,
        body: '',
        submitted_at: null,
        commit_id: null,
      },
      { id: 3, author: 'bob', state: 'APPROVED' as const, body: '', submitted_at: null, commit_id: null },
      {
        id: 4,
        author: 'alice',
        state: 'COMMENTED' as const,
        body: 'also',
        submitted_at: null,
        commit_id: null,
      },
    ];
    const comments = [
      { id: 90, author: 'alice', body: 'nit', created_at: 't', url: null },
      { id: 91, author: 'worker-bot', body: 'done', created_at: 't', url: null },
    ];
    const data = snapshot({ reviews, reviewComments: comments, checkRuns: [run(1, 'test', 'success')] });
    const first = evaluateWatch('review_comments', data);
    expect(first.findings.map((finding) => finding.key).sort()).toEqual(['review-comment:90', 'review:1']);
    expect(first.resolved).toBe(false);

    let seen = first.nextSeen;
    for (let poll = 0; poll < 5; poll++) {
      const result = evaluateWatch('review_comments', data, seen);
      expect(result.findings).toEqual([]);
      seen = result.nextSeen;
    }
    const pushed = evaluateWatch('review_comments', { ...data, pull: pull({ head_sha: 'sha2' }) }, seen);
    expect(pushed.resolved).toBe(true);
  });
});

describe('mergeability and PR state', () => {
  it('resolves when mergeable and green, reports a conflict once per head commit', () => {
    const green = [run(1, 'test', 'success')];
    expect(evaluateWatch('mergeability', snapshot({ checkRuns: green })).resolved).toBe(true);
    expect(
      evaluateWatch(
        'mergeability',
        snapshot({ pull: pull({ mergeable_state: 'blocked' }), checkRuns: green }),
      ).resolved,
    ).toBe(false);
    const dirty = snapshot({ pull: pull({ mergeable: false, mergeable_state: 'dirty' }), checkRuns: green });
    const first = evaluateWatch('mergeability', dirty);
    expect(first.findings.map((finding) => finding.kind)).toEqual(['merge_conflict']);
    expect(evaluateWatch('mergeability', dirty, first.nextSeen).findings).toEqual([]);
  });

  it('resolves every kind of watch for a merged PR and reports a closed one once', () => {
    const merged = snapshot({ pull: pull({ state: 'merged' }), checkRuns: [run(1, 'test', 'failure')] });
    for (const kind of ['pr_checks', 'bugbot_comments', 'review_comments', 'mergeability'] as const) {
      expect(evaluateWatch(kind, merged)).toMatchObject({ resolved: true, findings: [] });
    }
    const closed = snapshot({ pull: pull({ state: 'closed' }) });
    const first = evaluateWatch('pr_checks', closed);
    expect(first.findings.map((finding) => finding.kind)).toEqual(['pr_closed']);
    expect(first.resolved).toBe(false);
    expect(evaluateWatch('pr_checks', closed, first.nextSeen).findings).toEqual([]);
  });
});

describe('watch schedule', () => {
  it('backs off 60/120/300 s and escalates once at the fifth failure', () => {
    expect(WATCH_FAILURE_BACKOFF_SECS).toEqual([60, 120, 300]);
    expect([1, 2, 3, 4, 9].map(failureBackoffSecs)).toEqual([60, 120, 300, 300, 300]);
    expect(WATCH_ESCALATION_THRESHOLD).toBe(5);
    expect([1, 2, 3, 4, 5, 6, 10].map(shouldEscalate)).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
  });

  it('refuses snoozes shorter than a minute', () => {
    expect(WATCH_SNOOZE_MIN_SECS).toBe(60);
    expect(validateSnoozeSecs(60)).toBe(60);
    expect(() => validateSnoozeSecs(59)).toThrow(/at least 60/);
    expect(() => validateSnoozeSecs(90.5)).toThrow(/whole number/);
  });
});
