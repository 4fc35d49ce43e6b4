import type { IssueRef, RepoRef } from '../forge/forge.js';

const REF = '(?:[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)?#\\d+';
/** `#1`, `#1, #2`, `#1 & #2`, `#1, #2 and #3`, `#1, #2, and #3`. */
const LIST = `${REF}(?:\\s*(?:,|&)\\s*(?:and\\s+)?${REF}|\\s+and\\s+${REF})*`;
/**
 * Word boundaries on both sides of the keyword: "thereafter #5" and "prerequires #5" are not dependencies.
 * The keyword may be followed by a colon ("Depends on: #4").
 */
const DEPENDENCY = new RegExp(
  `\\b(?:depends?\\s+on|after|blocked\\s+by|requires?)(?:\\s*:\\s*|\\s+)(${LIST})(?![\\w/])`,
  'gi',
);
const REF_IN_LIST = /(?:([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9._-]+))?#(\d+)/g;

/**
 * The issues an issue body says it waits for. A bare `#N` is in `home` (the issue's own repository); an
 * `owner/repo#N` keeps its repository, so cross-repo dependencies stay precise. Each issue once, in the
 * order first mentioned.
 */
export function parseDependencies(body: string, home: RepoRef): IssueRef[] {
  const found = new Map<string, IssueRef>();
  for (const match of body.matchAll(DEPENDENCY)) {
    for (const ref of (match[1] ?? '').matchAll(REF_IN_LIST)) {
      const number = Number(ref[3]);
      if (!Number.isSafeInteger(number) || number <= 0) continue;
      const issue: IssueRef =
        ref[1] && ref[2]
          ? { owner: ref[1], repo: ref[2], number }
          : { owner: home.owner, repo: home.repo, number };
      const key = `${issue.owner}/${issue.repo}#${issue.number}`.toLowerCase();
      if (!found.has(key)) found.set(key, issue);
    }
  }
  return [...found.values()];
}
