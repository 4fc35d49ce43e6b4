/**
 * What missions need from a code host. Everything the compiler and the watch engine read goes through
 * this interface, so GitHub, GitHub Enterprise and the fake server in tests are interchangeable.
 */

/** A repository on the forge. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** An issue or pull request number inside a repository. */
export interface NumberedRef extends RepoRef {
  number: number;
}

export type IssueRef = NumberedRef;
export type PrRef = NumberedRef;

export interface ForgeIssue extends IssueRef {
  title: string;
  /** GitHub sends `null` for an issue without a description; we hand out an empty string. */
  body: string;
  labels: string[];
  state: 'open' | 'closed';
}

export type PullRequestState = 'open' | 'closed' | 'merged';

export interface ForgePullRequest extends PrRef {
  title: string;
  state: PullRequestState;
  /** Login of whoever opened the PR: their own comments are replies, not review findings. */
  author: string | null;
  head_sha: string;
  draft: boolean;
  /** `null` while GitHub is still computing it. */
  mergeable: boolean | null;
  /** GitHub's `mergeable_state`: clean, dirty, blocked, behind, unstable, has_hooks, draft or unknown. */
  mergeable_state: string;
}

export interface ForgeCheckRun {
  id: number;
  name: string;
  /** queued, in_progress, completed, waiting, requested or pending. */
  status: string;
  /** Set only once `status` is completed: success, failure, neutral, cancelled, skipped, timed_out… */
  conclusion: string | null;
  url: string | null;
}

export interface ForgeCommitStatus {
  id: number;
  context: string;
  state: 'success' | 'pending' | 'failure' | 'error';
  description: string | null;
  url: string | null;
}

export interface ForgeCombinedStatus {
  /** GitHub reports `pending` when no status exists at all, so read `statuses` before trusting this. */
  state: 'success' | 'pending' | 'failure' | 'error';
  sha: string;
  statuses: ForgeCommitStatus[];
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface ForgeReview {
  id: number;
  author: string;
  state: ReviewState;
  body: string;
  submitted_at: string | null;
  commit_id: string | null;
}

export interface ForgeComment {
  id: number;
  author: string;
  body: string;
  created_at: string;
  url: string | null;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface MergeOptions {
  method?: MergeMethod;
  /** Merge only if the head is still this commit (what was reviewed and checked). */
  sha?: string;
  commit_title?: string;
}

export interface MergeResult {
  merged: boolean;
  sha: string | null;
  message: string;
}

export interface Forge {
  getIssue(ref: IssueRef): Promise<ForgeIssue>;
  getPullRequest(ref: PrRef): Promise<ForgePullRequest>;
  listCheckRuns(repo: RepoRef, sha: string): Promise<ForgeCheckRun[]>;
  getCombinedStatus(repo: RepoRef, sha: string): Promise<ForgeCombinedStatus>;
  listReviews(ref: PrRef): Promise<ForgeReview[]>;
  /** Inline comments on the diff. */
  listReviewComments(ref: PrRef): Promise<ForgeComment[]>;
  /** Conversation comments on the PR (or issue). */
  listIssueComments(ref: PrRef): Promise<ForgeComment[]>;
  mergePullRequest(ref: PrRef, options?: MergeOptions): Promise<MergeResult>;
}
