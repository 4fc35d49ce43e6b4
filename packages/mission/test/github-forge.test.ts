import { isTinytownError, type TinytownError } from '@tinytown/core';
import { type FakeGitHub, startFakeGitHub } from '@tinytown/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileMission, evaluateWatch, fetchPrSnapshot, GitHubForge } from '../src/index.js';

const TOKEN = 'test-token';
const REPO = 'acme/widgets';
const ref = { owner: 'acme', repo: 'widgets', number: 7 };

let github: FakeGitHub;
let forge: GitHubForge;

beforeAll(async () => {
  github = await startFakeGitHub({ token: TOKEN });
  forge = new GitHubForge({ token: TOKEN, baseUrl: github.url });
});
afterAll(async () => {
  await github.close();
});
beforeEach(() => github.reset());

async function forgeError(promise: Promise<unknown>): Promise<TinytownError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isTinytownError(error, 'FORGE_ERROR')) throw new Error(`expected FORGE_ERROR, got ${String(error)}`);
  return error;
}

describe('GitHubForge', () => {
  it('reads an issue with its labels, sending the token', async () => {
    github.setIssue(REPO, {
      number: 3,
      title: 'Add login',
      body: 'Depends on #2',
      labels: ['backend', 'p1'],
    });
    const issue = await forge.getIssue({ owner: 'acme', repo: 'widgets', number: 3 });
    expect(issue).toEqual({
      owner: 'acme',
      repo: 'widgets',
      number: 3,
      title: 'Add login',
      body: 'Depends on #2',
      labels: ['backend', 'p1'],
      state: 'open',
    });
    expect(github.requests[0]?.path).toBe('/repos/acme/widgets/issues/3');
    expect(github.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('turns a null issue body into an empty string', async () => {
    github.setIssue(REPO, { number: 4, title: 'No body', body: null });
    expect((await forge.getIssue({ ...ref, number: 4 })).body).toBe('');
  });

  it('reports a missing issue as FORGE_ERROR with the HTTP status', async () => {
    const error = await forgeError(forge.getIssue({ ...ref, number: 99 }));
    expect(error.details.status).toBe(404);
    expect(error.message).toContain('acme/widgets#99');
  });

  it('reports bad credentials as FORGE_ERROR 401', async () => {
    const anonymous = new GitHubForge({ baseUrl: github.url });
    github.setIssue(REPO, { number: 1, title: 'x' });
    const error = await forgeError(anonymous.getIssue({ ...ref, number: 1 }));
    expect(error.details.status).toBe(401);
  });

  it('reports scripted server errors and an unreachable host', async () => {
    github.failRequests('GET', '/repos/acme/widgets/pulls/7', {
      status: 502,
      message: 'bad gateway',
      times: 1,
    });
    github.setPullRequest(REPO, { number: 7, head_sha: 'abc' });
    const error = await forgeError(forge.getPullRequest(ref));
    expect(error.details.status).toBe(502);
    expect(error.message).toContain('bad gateway');
    expect((await forge.getPullRequest(ref)).head_sha).toBe('abc');

    const nowhere = new GitHubForge({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    const network = await forgeError(nowhere.getIssue(ref));
    expect(network.details.status).toBeNull();
  });

  it('reads pull requests as open, closed or merged', async () => {
    github.setPullRequest(REPO, {
      number: 7,
      title: 'Login',
      head_sha: 'sha1',
      author: 'worker-bot',
      mergeable: null,
      mergeable_state: 'unknown',
    });
    github.setPullRequest(REPO, { number: 8, head_sha: 'sha2', state: 'closed' });
    github.setPullRequest(REPO, { number: 9, head_sha: 'sha3', merged: true });
    expect(await forge.getPullRequest(ref)).toEqual({
      owner: 'acme',
      repo: 'widgets',
      number: 7,
      title: 'Login',
      state: 'open',
      author: 'worker-bot',
      head_sha: 'sha1',
      draft: false,
      mergeable: null,
      mergeable_state: 'unknown',
    });
    expect((await forge.getPullRequest({ ...ref, number: 8 })).state).toBe('closed');
    expect((await forge.getPullRequest({ ...ref, number: 9 })).state).toBe('merged');
  });

  it('lists check runs of a commit, following pagination', async () => {
    const runs = Array.from({ length: 130 }, (_, index) => ({
      id: index + 1,
      name: `job-${index + 1}`,
      status: 'completed',
      conclusion: index === 5 ? 'failure' : 'success',
    }));
    github.setCheckRuns(REPO, 'sha1', runs);
    github.setCheckRuns(REPO, 'sha2', [{ id: 500, name: 'build', status: 'in_progress' }]);
    const listed = await forge.listCheckRuns(ref, 'sha1');
    expect(listed).toHaveLength(130);
    expect(listed[5]).toMatchObject({ id: 6, name: 'job-6', status: 'completed', conclusion: 'failure' });
    expect(github.requests.filter((request) => request.path.endsWith('/check-runs'))).toHaveLength(2);
    expect(await forge.listCheckRuns(ref, 'sha2')).toEqual([
      expect.objectContaining({ id: 500, status: 'in_progress', conclusion: null }),
    ]);
  });

  it('reads the combined status of a commit', async () => {
    github.setStatuses(REPO, 'sha1', [
      { id: 1, context: 'ci/lint', state: 'success' },
      { id: 2, context: 'ci/test', state: 'failure', description: '3 failed' },
    ]);
    const status = await forge.getCombinedStatus(ref, 'sha1');
    expect(status.state).toBe('failure');
    expect(status.sha).toBe('sha1');
    expect(status.statuses.map((entry) => [entry.context, entry.state])).toEqual([
      ['ci/lint', 'success'],
      ['ci/test', 'failure'],
    ]);
    expect(status.statuses[1]?.description).toBe('3 failed');
    expect((await forge.getCombinedStatus(ref, 'nothing')).statuses).toEqual([]);
  });

  it('lists reviews, review comments and issue comments with id, author, body and time', async () => {
    github.setReviews(REPO, 7, [
      { id: 11, author: 'alice', state: 'CHANGES_REQUESTED', body: 'Please rename' },
      { id: 12, author: 'bob', state: 'APPROVED' },
    ]);
    github.setReviewComments(REPO, 7, [
      { id: 21, author: 'alice', body: 'nit: typo', created_at: '2024-02-01T10:00:00Z' },
    ]);
    const comments = Array.from({ length: 105 }, (_, index) => ({
      id: 100 + index,
      author: 'cursor[bot]',
      body: `comment ${index}`,
    }));
    github.setIssueComments(REPO, 7, comments);

    const reviews = await forge.listReviews(ref);
    expect(reviews.map((review) => [review.id, review.author, review.state])).toEqual([
      [11, 'alice', 'CHANGES_REQUESTED'],
      [12, 'bob', 'APPROVED'],
    ]);
    expect(reviews[0]?.body).toBe('Please rename');

    expect(await forge.listReviewComments(ref)).toEqual([
      expect.objectContaining({
        id: 21,
        author: 'alice',
        body: 'nit: typo',
        created_at: '2024-02-01T10:00:00Z',
      }),
    ]);
    const issueComments = await forge.listIssueComments(ref);
    expect(issueComments).toHaveLength(105);
    expect(issueComments[104]).toMatchObject({ id: 204, author: 'cursor[bot]', body: 'comment 104' });
  });

  it('merges a pull request and records the call; refuses an unmergeable one', async () => {
    github.setPullRequest(REPO, { number: 7, head_sha: 'sha1' });
    const result = await forge.mergePullRequest(ref, { method: 'squash', sha: 'sha1' });
    expect(result.merged).toBe(true);
    expect(github.mergeCalls).toEqual([
      { repo: REPO, number: 7, body: { merge_method: 'squash', sha: 'sha1' } },
    ]);
    expect((await forge.getPullRequest(ref)).state).toBe('merged');

    github.setPullRequest(REPO, { number: 8, head_sha: 'sha2', mergeable: false, mergeable_state: 'dirty' });
    const refused = await forgeError(forge.mergePullRequest({ ...ref, number: 8 }));
    expect(refused.details.status).toBe(405);

    github.setPullRequest(REPO, { number: 9, head_sha: 'new-head' });
    const stale = await forgeError(forge.mergePullRequest({ ...ref, number: 9 }, { sha: 'old-head' }));
    expect(stale.details.status).toBe(409);
  });

  it('honours a base URL with a path prefix (GitHub Enterprise style)', async () => {
    const enterprise = new GitHubForge({ token: TOKEN, baseUrl: `${github.url}/api/v3/` });
    github.setIssue(REPO, { number: 1, title: 'Enterprise issue' });
    expect((await enterprise.getIssue({ ...ref, number: 1 })).title).toBe('Enterprise issue');
    expect(github.requests.at(-1)?.path).toBe('/api/v3/repos/acme/widgets/issues/1');
  });

  it('fetches only what a watch kind needs, and the snapshot evaluates end to end', async () => {
    github.setPullRequest(REPO, { number: 7, head_sha: 'sha1' });
    github.setCheckRuns(REPO, 'sha1', [{ id: 1, name: 'test', conclusion: 'failure' }]);
    github.setReviews(REPO, 7, [{ id: 5, author: 'alice', state: 'CHANGES_REQUESTED' }]);

    const checks = await fetchPrSnapshot(forge, ref, 'pr_checks');
    expect(github.requests.some((request) => request.path.includes('/reviews'))).toBe(false);
    expect(evaluateWatch('pr_checks', checks).findings.map((finding) => finding.key)).toEqual([
      'run:1:failure',
    ]);

    const reviews = await fetchPrSnapshot(forge, ref, 'review_comments');
    expect(reviews.reviews.map((review) => review.id)).toEqual([5]);
    expect(github.requests.some((request) => request.path.endsWith('/issues/7/comments'))).toBe(false);
  });

  it('feeds the compiler through the adapter', async () => {
    github.setIssue(REPO, { number: 1, title: 'Session store', labels: ['devops'] });
    github.setIssue(REPO, { number: 2, title: 'Login API', body: 'Depends on #1' });
    const items = await compileMission({
      missionId: '6f1d8d4e-2a43-4d8e-9a53-0c7b1d6f3a10',
      objectives: [
        { type: 'issue', owner: 'acme', repo: 'widgets', number: 2 },
        { type: 'issue', owner: 'acme', repo: 'widgets', number: 1 },
      ],
      forge,
      townRoot: process.cwd(),
    });
    expect(items.map((item) => [item.source_ref, item.owner_role])).toEqual([
      ['acme/widgets#1', 'devops'],
      ['acme/widgets#2', 'backend'],
    ]);
    expect(items[1]?.depends_on).toEqual([items[0]?.id]);
  });
});
