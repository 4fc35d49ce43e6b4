import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the GitHub REST endpoints the mission forge uses. Tests script it (issues, pull
 * requests, check runs, statuses, reviews, comments) and read back what was asked of it (requests, merges).
 * Repositories are named `owner/repo`.
 */

export interface FakeIssue {
  number: number;
  title: string;
  body?: string | null;
  labels?: string[];
  state?: 'open' | 'closed';
}

export interface FakePullRequest {
  number: number;
  title?: string;
  state?: 'open' | 'closed';
  merged?: boolean;
  head_sha: string;
  author?: string;
  draft?: boolean;
  mergeable?: boolean | null;
  mergeable_state?: string;
}

export interface FakeCheckRun {
  id?: number;
  name: string;
  status?: string;
  conclusion?: string | null;
}

export interface FakeCommitStatus {
  id?: number;
  context: string;
  state: 'success' | 'pending' | 'failure' | 'error';
  description?: string;
}

export interface FakeReview {
  id?: number;
  author: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  body?: string;
  commit_id?: string;
  submitted_at?: string;
}

export interface FakeComment {
  id?: number;
  author: string;
  body: string;
  created_at?: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  body: unknown;
}

export interface FakeMergeCall {
  repo: string;
  number: number;
  body: unknown;
}

export interface FakeFailure {
  status: number;
  message?: string;
  /** How many matching requests fail; afterwards the route works again. Forever when omitted. */
  times?: number;
}

export interface FakeGitHubOptions {
  /** When set, requests without `Authorization: Bearer <token>` get 401, as GitHub does for private repos. */
  token?: string;
}

export interface FakeGitHub {
  /** Base URL to give the adapter, e.g. `http://127.0.0.1:1234`. */
  readonly url: string;
  readonly requests: readonly FakeRequest[];
  readonly mergeCalls: readonly FakeMergeCall[];
  setIssue(repo: string, issue: FakeIssue): void;
  setPullRequest(repo: string, pull: FakePullRequest): void;
  setCheckRuns(repo: string, sha: string, runs: FakeCheckRun[]): void;
  setStatuses(repo: string, sha: string, statuses: FakeCommitStatus[]): void;
  setReviews(repo: string, number: number, reviews: FakeReview[]): void;
  setReviewComments(repo: string, number: number, comments: FakeComment[]): void;
  setIssueComments(repo: string, number: number, comments: FakeComment[]): void;
  /** Makes requests whose `METHOD /path` (no query) matches fail with the given status. */
  failRequests(method: string, path: string | RegExp, failure: FakeFailure): void;
  /** Forgets scripted data, failures and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

interface RepoState {
  issues: Map<number, FakeIssue>;
  pulls: Map<number, FakePullRequest>;
  checkRuns: Map<string, FakeCheckRun[]>;
  statuses: Map<string, FakeCommitStatus[]>;
  reviews: Map<number, FakeReview[]>;
  reviewComments: Map<number, FakeComment[]>;
  issueComments: Map<number, FakeComment[]>;
}

interface FailureRule extends FakeFailure {
  method: string;
  path: string | RegExp;
}

const FIXED_TIME = '2024-01-01T00:00:00Z';

function emptyRepo(): RepoState {
  return {
    issues: new Map(),
    pulls: new Map(),
    checkRuns: new Map(),
    statuses: new Map(),
    reviews: new Map(),
    reviewComments: new Map(),
    issueComments: new Map(),
  };
}

function combinedState(statuses: FakeCommitStatus[]): FakeCommitStatus['state'] {
  if (statuses.some((status) => status.state === 'failure' || status.state === 'error')) return 'failure';
  if (statuses.length === 0 || statuses.some((status) => status.state === 'pending')) return 'pending';
  return 'success';
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  let repos = new Map<string, RepoState>();
  let failures: FailureRule[] = [];
  const requests: FakeRequest[] = [];
  const mergeCalls: FakeMergeCall[] = [];
  let nextId = 1000;
  const id = () => nextId++;
  let baseUrl = '';

  const repoState = (repo: string): RepoState => {
    let state = repos.get(repo);
    if (!state) {
      state = emptyRepo();
      repos.set(repo, state);
    }
    return state;
  };

  const send = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(body === undefined ? '' : JSON.stringify(body));
  };
  const notFound = (response: ServerResponse) =>
    send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

  /** Pages like GitHub: `per_page` and `page` in, a `Link` header with rel="next"/"last" out. */
  const paged = <T>(
    response: ServerResponse,
    path: string,
    query: Record<string, string>,
    items: T[],
    wrap?: (page: T[]) => unknown,
  ) => {
    const perPage = Math.min(Math.max(Number(query.per_page ?? 30) || 30, 1), 100);
    const page = Math.max(Number(query.page ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const links: string[] = [];
    if (page < last) {
      links.push(`<${baseUrl}${path}?per_page=${perPage}&page=${page + 1}>; rel="next"`);
      links.push(`<${baseUrl}${path}?per_page=${perPage}&page=${last}>; rel="last"`);
    }
    send(response, 200, wrap ? wrap(slice) : slice, links.length > 0 ? { link: links.join(', ') } : {});
  };

  const commentJson = (repo: string, number: number, comment: FakeComment, kind: 'issue' | 'review') => ({
    id: comment.id,
    user: { login: comment.author },
    body: comment.body,
    created_at: comment.created_at ?? FIXED_TIME,
    html_url: `https://github.com/${repo}/pull/${number}#${kind === 'issue' ? 'issuecomment' : 'discussion_r'}-${comment.id}`,
  });

  const pullJson = (repo: string, pull: FakePullRequest) => ({
    number: pull.number,
    title: pull.title ?? `PR ${pull.number}`,
    state: pull.state ?? (pull.merged ? 'closed' : 'open'),
    merged: pull.merged ?? false,
    merged_at: pull.merged ? FIXED_TIME : null,
    draft: pull.draft ?? false,
    user: { login: pull.author ?? 'tinytown-bot' },
    head: { sha: pull.head_sha, ref: `pr-${pull.number}` },
    mergeable: pull.mergeable === undefined ? true : pull.mergeable,
    mergeable_state: pull.mergeable_state ?? 'clean',
    html_url: `https://github.com/${repo}/pull/${pull.number}`,
  });

  const route = (
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    response: ServerResponse,
  ) => {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/(.+)$/.exec(path);
    if (!match?.[1] || !match[2] || !match[3]) return notFound(response);
    const repo = `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`;
    const rest = match[3];
    const state = repos.get(repo);
    const routes: Array<[string, RegExp, (parts: RegExpExecArray) => void]> = [
      [
        'GET',
        /^issues\/(\d+)$/,
        (parts) => {
          const issue = state?.issues.get(Number(parts[1]));
          if (!issue) return notFound(response);
          return send(response, 200, {
            number: issue.number,
            title: issue.title,
            body: issue.body === undefined ? '' : issue.body,
            state: issue.state ?? 'open',
            labels: (issue.labels ?? []).map((name) => ({ name })),
            html_url: `https://github.com/${repo}/issues/${issue.number}`,
          });
        },
      ],
      [
        'GET',
        /^issues\/(\d+)\/comments$/,
        (parts) => {
          const number = Number(parts[1]);
          const comments = state?.issueComments.get(number) ?? [];
          return paged(
            response,
            path,
            query,
            comments.map((comment) => commentJson(repo, number, comment, 'issue')),
          );
        },
      ],
      [
        'GET',
        /^pulls\/(\d+)$/,
        (parts) => {
          const pull = state?.pulls.get(Number(parts[1]));
          return pull ? send(response, 200, pullJson(repo, pull)) : notFound(response);
        },
      ],
      [
        'GET',
        /^pulls\/(\d+)\/reviews$/,
        (parts) => {
          const reviews = state?.reviews.get(Number(parts[1])) ?? [];
          return paged(
            response,
            path,
            query,
            reviews.map((review) => ({
              id: review.id,
              user: { login: review.author },
              state: review.state,
              body: review.body ?? '',
              commit_id: review.commit_id ?? null,
              submitted_at: review.submitted_at ?? FIXED_TIME,
            })),
          );
        },
      ],
      [
        'GET',
        /^pulls\/(\d+)\/comments$/,
        (parts) => {
          const number = Number(parts[1]);
          const comments = state?.reviewComments.get(number) ?? [];
          return paged(
            response,
            path,
            query,
            comments.map((comment) => commentJson(repo, number, comment, 'review')),
          );
        },
      ],
      [
        'PUT',
        /^pulls\/(\d+)\/merge$/,
        (parts) => {
          const number = Number(parts[1]);
          mergeCalls.push({ repo, number, body });
          const pull = state?.pulls.get(number);
          if (!pull) return notFound(response);
          if (pull.merged || pull.state === 'closed' || pull.mergeable === false) {
            return send(response, 405, { message: 'Pull Request is not mergeable' });
          }
          const wanted = typeof body === 'object' && body !== null && 'sha' in body ? body.sha : undefined;
          if (typeof wanted === 'string' && wanted !== pull.head_sha) {
            return send(response, 409, {
              message: 'Head branch was modified. Review and try the merge again.',
            });
          }
          pull.merged = true;
          pull.state = 'closed';
          return send(response, 200, {
            sha: `merge-${pull.head_sha}`,
            merged: true,
            message: 'Pull Request successfully merged',
          });
        },
      ],
      [
        'GET',
        /^commits\/([^/]+)\/check-runs$/,
        (parts) => {
          const runs = state?.checkRuns.get(decodeURIComponent(parts[1] ?? '')) ?? [];
          const json = runs.map((run) => ({
            id: run.id,
            name: run.name,
            status: run.status ?? 'completed',
            conclusion:
              run.conclusion === undefined
                ? run.status && run.status !== 'completed'
                  ? null
                  : 'success'
                : run.conclusion,
            html_url: `https://github.com/${repo}/runs/${run.id}`,
          }));
          return paged(response, path, query, json, (page) => ({
            total_count: json.length,
            check_runs: page,
          }));
        },
      ],
      [
        'GET',
        /^commits\/([^/]+)\/status$/,
        (parts) => {
          const sha = decodeURIComponent(parts[1] ?? '');
          const statuses = state?.statuses.get(sha) ?? [];
          const json = statuses.map((status) => ({
            id: status.id,
            context: status.context,
            state: status.state,
            description: status.description ?? null,
            target_url: null,
          }));
          return paged(response, path, query, json, (page) => ({
            state: combinedState(statuses),
            sha,
            total_count: json.length,
            statuses: page,
          }));
        },
      ],
    ];
    for (const [routeMethod, pattern, handle] of routes) {
      const parts = method === routeMethod ? pattern.exec(rest) : null;
      if (parts) return handle(parts);
    }
    return notFound(response);
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = request.method ?? 'GET';
      const body = await readBody(request);
      const authorization = request.headers.authorization ?? null;
      requests.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization,
        body,
      });

      if (options.token && authorization !== `Bearer ${options.token}`) {
        return send(response, 401, { message: 'Bad credentials' });
      }
      const failure = failures.find(
        (rule) =>
          rule.method === method &&
          (typeof rule.path === 'string' ? rule.path === url.pathname : rule.path.test(url.pathname)),
      );
      if (failure) {
        if (failure.times !== undefined) {
          failure.times -= 1;
          if (failure.times <= 0) failures = failures.filter((rule) => rule !== failure);
        }
        return send(response, failure.status, {
          message: failure.message ?? `scripted failure ${failure.status}`,
        });
      }
      // GitHub Enterprise serves the same API under `/api/v3`.
      const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
      route(method, path, Object.fromEntries(url.searchParams), body, response);
    })().catch((error: unknown) => {
      send(response, 500, { message: error instanceof Error ? error.message : String(error) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const withIds = <T extends { id?: number }>(items: T[]): T[] =>
    items.map((item) => ({ ...item, id: item.id ?? id() }));

  return {
    url: baseUrl,
    requests,
    mergeCalls,
    setIssue: (repo, issue) => void repoState(repo).issues.set(issue.number, { ...issue }),
    setPullRequest: (repo, pull) => void repoState(repo).pulls.set(pull.number, { ...pull }),
    setCheckRuns: (repo, sha, runs) => void repoState(repo).checkRuns.set(sha, withIds(runs)),
    setStatuses: (repo, sha, statuses) => void repoState(repo).statuses.set(sha, withIds(statuses)),
    setReviews: (repo, number, reviews) => void repoState(repo).reviews.set(number, withIds(reviews)),
    setReviewComments: (repo, number, comments) =>
      void repoState(repo).reviewComments.set(number, withIds(comments)),
    setIssueComments: (repo, number, comments) =>
      void repoState(repo).issueComments.set(number, withIds(comments)),
    failRequests: (method, path, failure) => {
      failures.push({ ...failure, method: method.toUpperCase(), path });
    },
    reset: () => {
      repos = new Map();
      failures = [];
      requests.length = 0;
      mergeCalls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
