import type { WatchKind } from '@tinytown/core';
import type { Forge, PrRef, RepoRef } from '../forge/forge.js';
import { refKey } from '../forge/pr-ref.js';
import type { PrSnapshot } from './evaluate.js';

/**
 * Reads what a watch of `kind` needs for one pull request, and nothing more: every watch needs the PR and
 * its CI (comment watches resolve only on green CI), comment and review listings only their own watches.
 */
export async function fetchPrSnapshot(forge: Forge, ref: PrRef, kind: WatchKind): Promise<PrSnapshot> {
  const pull = await forge.getPullRequest(ref);
  const [checkRuns, status, reviews, reviewComments, issueComments] = await Promise.all([
    forge.listCheckRuns(ref, pull.head_sha),
    forge.getCombinedStatus(ref, pull.head_sha),
    kind === 'review_comments' ? forge.listReviews(ref) : [],
    kind === 'review_comments' || kind === 'bugbot_comments' ? forge.listReviewComments(ref) : [],
    kind === 'bugbot_comments' ? forge.listIssueComments(ref) : [],
  ]);
  return { pull, checkRuns, status, reviews, reviewComments, issueComments };
}

/**
 * The forge as the watches of one tick read it: each read is made once and shared, so the four watches of
 * a pull request due together cost one read of the PR and its CI, not four (GitHub allows a token 5000
 * requests an hour). Merges are never shared.
 */
export function sharedReads(forge: Forge): Forge {
  const reads = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const known = reads.get(key) as Promise<T> | undefined;
    if (known) return known;
    const started = read();
    reads.set(key, started);
    return started;
  };
  const commit = (repo: RepoRef, sha: string) => `${repo.owner}/${repo.repo}@${sha}`.toLowerCase();
  return {
    getIssue: (ref) => forge.getIssue(ref),
    getPullRequest: (ref) => once(`pull ${refKey(ref)}`, () => forge.getPullRequest(ref)),
    listCheckRuns: (repo, sha) => once(`checks ${commit(repo, sha)}`, () => forge.listCheckRuns(repo, sha)),
    getCombinedStatus: (repo, sha) =>
      once(`status ${commit(repo, sha)}`, () => forge.getCombinedStatus(repo, sha)),
    listReviews: (ref) => once(`reviews ${refKey(ref)}`, () => forge.listReviews(ref)),
    listReviewComments: (ref) => once(`review comments ${refKey(ref)}`, () => forge.listReviewComments(ref)),
    listIssueComments: (ref) => once(`issue comments ${refKey(ref)}`, () => forge.listIssueComments(ref)),
    mergePullRequest: (ref, options) => forge.mergePullRequest(ref, options),
  };
}
