import { TinytownError } from '@tinytown/core';
import type { Forge, ForgeIssue, IssueRef } from '../src/index.js';

export interface StubIssue {
  title: string;
  body?: string;
  labels?: string[];
}

/** A forge that knows only issues, for compiler tests (the real adapter is tested against the fake server). */
export function issueForge(issues: Record<string, StubIssue>): Forge & { fetched: string[] } {
  const fetched: string[] = [];
  const unsupported = () => Promise.reject(new Error('not used by the compiler'));
  return {
    fetched,
    getIssue(ref: IssueRef): Promise<ForgeIssue> {
      const key = `${ref.owner}/${ref.repo}#${ref.number}`;
      fetched.push(key);
      const issue = issues[key];
      if (!issue) {
        return Promise.reject(
          new TinytownError('FORGE_ERROR', `issue ${key} failed with HTTP 404`, { status: 404 }),
        );
      }
      return Promise.resolve({
        ...ref,
        title: issue.title,
        body: issue.body ?? '',
        labels: issue.labels ?? [],
        state: 'open',
      });
    },
    getPullRequest: unsupported,
    listCheckRuns: unsupported,
    getCombinedStatus: unsupported,
    listReviews: unsupported,
    listReviewComments: unsupported,
    listIssueComments: unsupported,
    mergePullRequest: unsupported,
  };
}
