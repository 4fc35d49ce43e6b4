import type { WatchKind } from '@tinytown/core';
import type { Forge, PrRef } from '../forge/forge.js';
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
