import { TinytownError } from '@tinytown/core';
import type {
  Forge,
  ForgeCheckRun,
  ForgeCombinedStatus,
  ForgeComment,
  ForgeCommitStatus,
  ForgeIssue,
  ForgePullRequest,
  ForgeReview,
  IssueRef,
  MergeOptions,
  MergeResult,
  PrRef,
  RepoRef,
  ReviewState,
} from './forge.js';
import {
  asArray,
  asObject,
  isObject,
  type JsonObject,
  JsonShapeError,
  loginOf,
  optionalBoolean,
  optionalString,
  requiredNumber,
  requiredString,
} from './json-fields.js';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GitHubForgeOptions {
  /** A token (GITHUB_TOKEN or from config). Without one only public repositories can be read. */
  token?: string | undefined;
  /** `https://api.github.com` by default; `https://<host>/api/v3` for GitHub Enterprise; a local server in tests. */
  baseUrl?: string | undefined;
  /** Per request, so one stuck call cannot hold a scheduler tick forever. */
  timeoutMs?: number | undefined;
  userAgent?: string | undefined;
  /** Listings stop after this many pages, so a pathological PR cannot make a watch poll unbounded. */
  maxPages?: number | undefined;
}

const PER_PAGE = 100;
const REVIEW_STATES: readonly ReviewState[] = [
  'APPROVED',
  'CHANGES_REQUESTED',
  'COMMENTED',
  'DISMISSED',
  'PENDING',
];
const STATUS_STATES = ['success', 'pending', 'failure', 'error'] as const;
type StatusState = (typeof STATUS_STATES)[number];

const segment = (value: string | number) => encodeURIComponent(String(value));
const repoPath = (ref: RepoRef) => `/repos/${segment(ref.owner)}/${segment(ref.repo)}`;
const label = (ref: RepoRef & { number?: number }) =>
  `${ref.owner}/${ref.repo}${ref.number === undefined ? '' : `#${ref.number}`}`;

function statusState(value: string | null): StatusState {
  return STATUS_STATES.find((state) => state === value) ?? 'pending';
}

/** `<url>; rel="next"` from GitHub's Link header, the only reliable way to page. */
function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return null;
}

interface JsonResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

export class GitHubForge implements Forge {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly maxPages: number;

  constructor(options: GitHubForgeOptions = {}) {
    this.baseUrl = (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'tinytown-mission';
    this.maxPages = options.maxPages ?? 20;
  }

  async getIssue(ref: IssueRef): Promise<ForgeIssue> {
    const what = `issue ${label(ref)}`;
    const { body } = await this.request('GET', `${repoPath(ref)}/issues/${segment(ref.number)}`, what);
    return this.shape(what, () => {
      const issue = asObject(body, what);
      const labels = asArray(issue.labels ?? [], `${what}.labels`).flatMap((entry) => {
        // Labels come as objects, but GitHub documents plain strings as a possible form too.
        if (typeof entry === 'string') return [entry];
        return isObject(entry) && typeof entry.name === 'string' ? [entry.name] : [];
      });
      return {
        owner: ref.owner,
        repo: ref.repo,
        number: ref.number,
        title: requiredString(issue, 'title', what),
        body: optionalString(issue, 'body') ?? '',
        labels,
        state: issue.state === 'closed' ? 'closed' : 'open',
      };
    });
  }

  async getPullRequest(ref: PrRef): Promise<ForgePullRequest> {
    const what = `pull request ${label(ref)}`;
    const { body } = await this.request('GET', `${repoPath(ref)}/pulls/${segment(ref.number)}`, what);
    return this.shape(what, () => {
      const pull = asObject(body, what);
      const head = asObject(pull.head, `${what}.head`);
      const merged = optionalBoolean(pull, 'merged') === true || optionalString(pull, 'merged_at') !== null;
      return {
        owner: ref.owner,
        repo: ref.repo,
        number: ref.number,
        title: requiredString(pull, 'title', what),
        state: merged ? 'merged' : pull.state === 'closed' ? 'closed' : 'open',
        author: isObject(pull.user) ? loginOf(pull) : null,
        head_sha: requiredString(head, 'sha', `${what}.head`),
        draft: optionalBoolean(pull, 'draft') ?? false,
        mergeable: optionalBoolean(pull, 'mergeable'),
        mergeable_state: optionalString(pull, 'mergeable_state') ?? 'unknown',
      };
    });
  }

  async listCheckRuns(repo: RepoRef, sha: string): Promise<ForgeCheckRun[]> {
    const what = `check runs of ${label(repo)}@${sha}`;
    const pages = await this.pages(`${repoPath(repo)}/commits/${segment(sha)}/check-runs`, what);
    return this.shape(what, () =>
      pages.flatMap((page) =>
        asArray(asObject(page, what).check_runs, `${what}.check_runs`).map((entry) => {
          const run = asObject(entry, 'check run');
          return {
            id: requiredNumber(run, 'id', 'check run'),
            name: requiredString(run, 'name', 'check run'),
            status: optionalString(run, 'status') ?? 'queued',
            conclusion: optionalString(run, 'conclusion') || null,
            url: optionalString(run, 'html_url'),
          };
        }),
      ),
    );
  }

  async getCombinedStatus(repo: RepoRef, sha: string): Promise<ForgeCombinedStatus> {
    const what = `combined status of ${label(repo)}@${sha}`;
    const pages = await this.pages(`${repoPath(repo)}/commits/${segment(sha)}/status`, what);
    return this.shape(what, () => {
      const first = asObject(pages[0], what);
      const statuses: ForgeCommitStatus[] = pages.flatMap((page) =>
        asArray(asObject(page, what).statuses ?? [], `${what}.statuses`).map((entry) => {
          const status = asObject(entry, 'commit status');
          return {
            id: requiredNumber(status, 'id', 'commit status'),
            context: requiredString(status, 'context', 'commit status'),
            state: statusState(optionalString(status, 'state')),
            description: optionalString(status, 'description'),
            url: optionalString(status, 'target_url'),
          };
        }),
      );
      return { state: statusState(optionalString(first, 'state')), sha, statuses };
    });
  }

  async listReviews(ref: PrRef): Promise<ForgeReview[]> {
    const what = `reviews of ${label(ref)}`;
    const items = await this.listing(`${repoPath(ref)}/pulls/${segment(ref.number)}/reviews`, what);
    return this.shape(what, () =>
      items.map((entry) => {
        const review = asObject(entry, 'review');
        const state = REVIEW_STATES.find((candidate) => candidate === review.state) ?? 'COMMENTED';
        return {
          id: requiredNumber(review, 'id', 'review'),
          author: loginOf(review),
          state,
          body: optionalString(review, 'body') ?? '',
          submitted_at: optionalString(review, 'submitted_at'),
          commit_id: optionalString(review, 'commit_id'),
        };
      }),
    );
  }

  async listReviewComments(ref: PrRef): Promise<ForgeComment[]> {
    const what = `review comments of ${label(ref)}`;
    const items = await this.listing(`${repoPath(ref)}/pulls/${segment(ref.number)}/comments`, what);
    return this.shape(what, () => items.map((entry) => this.comment(entry)));
  }

  async listIssueComments(ref: PrRef): Promise<ForgeComment[]> {
    const what = `comments of ${label(ref)}`;
    const items = await this.listing(`${repoPath(ref)}/issues/${segment(ref.number)}/comments`, what);
    return this.shape(what, () => items.map((entry) => this.comment(entry)));
  }

  async mergePullRequest(ref: PrRef, options: MergeOptions = {}): Promise<MergeResult> {
    const what = `merge of ${label(ref)}`;
    const payload: JsonObject = { merge_method: options.method ?? 'merge' };
    if (options.sha) payload.sha = options.sha;
    if (options.commit_title) payload.commit_title = options.commit_title;
    const { body } = await this.request(
      'PUT',
      `${repoPath(ref)}/pulls/${segment(ref.number)}/merge`,
      what,
      payload,
    );
    return this.shape(what, () => {
      const result = asObject(body, what);
      return {
        merged: optionalBoolean(result, 'merged') ?? false,
        sha: optionalString(result, 'sha'),
        message: optionalString(result, 'message') ?? '',
      };
    });
  }

  private comment(entry: unknown): ForgeComment {
    const comment = asObject(entry, 'comment');
    return {
      id: requiredNumber(comment, 'id', 'comment'),
      author: loginOf(comment),
      body: optionalString(comment, 'body') ?? '',
      created_at: requiredString(comment, 'created_at', 'comment'),
      url: optionalString(comment, 'html_url'),
    };
  }

  /** Converts a malformed payload into the same error a failed request gives: the forge let us down. */
  private shape<T>(what: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof JsonShapeError) {
        throw new TinytownError('FORGE_ERROR', `unexpected response for ${what}: ${error.message}`, {
          status: null,
          what,
        });
      }
      throw error;
    }
  }

  private async listing(path: string, what: string): Promise<unknown[]> {
    const pages = await this.pages(path, what);
    return this.shape(what, () => pages.flatMap((page) => asArray(page, what)));
  }

  private async pages(path: string, what: string): Promise<unknown[]> {
    const pages: unknown[] = [];
    let url: string | null = `${this.baseUrl}${path}?per_page=${PER_PAGE}`;
    while (url && pages.length < this.maxPages) {
      const response: JsonResponse = await this.send('GET', url, what);
      pages.push(response.body);
      url = nextLink(response.headers.get('link'));
    }
    return pages;
  }

  private request(method: string, path: string, what: string, payload?: JsonObject): Promise<JsonResponse> {
    return this.send(method, `${this.baseUrl}${path}`, what, payload);
  }

  private async send(method: string, url: string, what: string, payload?: JsonObject): Promise<JsonResponse> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': this.userAgent,
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: payload ? JSON.stringify(payload) : null,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TinytownError(
        'FORGE_ERROR',
        `${what} failed: ${reason}`,
        { status: null, method, url, what },
        { cause: error },
      );
    }

    const text = await response.text();
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) {
      const message = isObject(body) && typeof body.message === 'string' ? body.message : response.statusText;
      throw new TinytownError('FORGE_ERROR', `${what} failed with HTTP ${response.status}: ${message}`, {
        status: response.status,
        method,
        url,
        what,
      });
    }
    if (typeof body === 'string') {
      throw new TinytownError('FORGE_ERROR', `${what} returned a body that is not JSON`, {
        status: response.status,
        method,
        url,
        what,
      });
    }
    return { status: response.status, body, headers: response.headers };
  }
}

export function createGitHubForge(options: GitHubForgeOptions = {}): Forge {
  return new GitHubForge(options);
}
