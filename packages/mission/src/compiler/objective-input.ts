import { type ObjectiveRef, TinytownError } from '@tinytown/core';
import type { RepoRef } from '../forge/forge.js';

const ISSUE_REF = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/;
const ISSUE_URL = /^https?:\/\/[^/]+\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/issues\/(\d+)\/?$/;
const SHORT_ISSUE = /^#?(\d+)$/;
const NAME = /^[A-Za-z0-9_.-]+$/;

// The forge's own: one RepoRef in the package, so the declarations name it once.
export type { RepoRef } from '../forge/forge.js';

/** Whether an objective is typed as `#12` or `12` and so needs a default repository. */
export function needsDefaultRepo(text: string): boolean {
  return SHORT_ISSUE.test(text.trim());
}

/** `owner/repo` as typed after --repo; undefined when it is not of that form. */
export function parseRepo(text: string): RepoRef | undefined {
  const [owner, repo, ...rest] = text.trim().split('/');
  return owner && repo && rest.length === 0 && NAME.test(owner) && NAME.test(repo)
    ? { owner, repo }
    : undefined;
}

/**
 * The repository a git remote URL names, in any of the forms git prints: `https://host/owner/repo.git`,
 * `git@host:owner/repo.git`, `ssh://git@host:2222/owner/repo`. Undefined for local paths and anything else.
 */
export function repoFromRemoteUrl(url: string): RepoRef | undefined {
  const trimmed = url.trim();
  // A remote on this machine (a path, file://) names no hosted repository.
  if (/^(\/|\.|~|file:)/.test(trimmed)) return undefined;
  const parts = trimmed
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split(/[/:]/);
  if (parts.length < 3) return undefined;
  return parseRepo(parts.slice(-2).join('/'));
}

/**
 * Reads an objective as a person types it: `owner/repo#12`, an issue URL, `#12` or `12` (in
 * `defaultRepo`), or a design doc (`doc:path`, or any path ending in `.md`).
 */
export function parseObjectiveInput(text: string, defaultRepo?: RepoRef): ObjectiveRef {
  const input = text.trim();
  const issue = ISSUE_REF.exec(input) ?? ISSUE_URL.exec(input);
  if (issue) return { type: 'issue', owner: issue[1]!, repo: issue[2]!, number: Number(issue[3]) };
  const short = SHORT_ISSUE.exec(input);
  if (short) {
    if (!defaultRepo) {
      throw new TinytownError(
        'OBJECTIVE_INVALID',
        `objective '${input}': name the repository (owner/repo#${short[1]}) or set a default repository`,
        { field: 'objectives', value: input },
      );
    }
    return { type: 'issue', ...defaultRepo, number: Number(short[1]) };
  }
  if (input.startsWith('doc:') && input.length > 4) return { type: 'doc', path: input.slice(4) };
  if (/\.(md|markdown|txt)$/i.test(input)) return { type: 'doc', path: input };
  throw new TinytownError(
    'OBJECTIVE_INVALID',
    `objective '${input}': expected owner/repo#N, an issue URL, #N, or a doc path (doc:path or *.md)`,
    { field: 'objectives', value: input },
  );
}
