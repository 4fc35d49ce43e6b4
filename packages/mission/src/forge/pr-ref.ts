import { TinytownError } from '@tinytown/core';
import type { NumberedRef, PrRef } from './forge.js';

// GitHub owners are letters, digits and single hyphens; repositories also allow `.` and `_`.
const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})';
const REPO = '[A-Za-z0-9._-]{1,100}';

const SHORT_REF = new RegExp(`^(${OWNER})/(${REPO})#(\\d+)$`);
/** Any host, so GitHub Enterprise links work; anything after the number (`/files`, `?w=1`, `#r1`) is ignored. */
const PR_URL = new RegExp(`^https?://[A-Za-z0-9.-]+(?::\\d+)?/(${OWNER})/(${REPO})/pull/(\\d+)(?:[/?#].*)?$`);

const SHORT_REF_IN_TEXT = new RegExp(`(?<![\\w./-])(${OWNER})/(${REPO})#(\\d+)\\b`, 'g');
const PR_URL_IN_TEXT = new RegExp(
  `https?://[A-Za-z0-9.-]+(?::\\d+)?/(${OWNER})/(${REPO})/pull/(\\d+)(?![\\d])`,
  'g',
);

/** The canonical form every ref is compared and stored in: `owner/repo#N`. */
export function formatRef(ref: NumberedRef): string {
  return `${ref.owner}/${ref.repo}#${ref.number}`;
}

/** Two spellings of the same PR (URL and short form, any case) compare equal through this key. */
export function refKey(ref: NumberedRef): string {
  return formatRef(ref).toLowerCase();
}

function toRef(
  owner: string | undefined,
  repo: string | undefined,
  number: string | undefined,
): PrRef | null {
  if (!owner || !repo || !number) return null;
  const value = Number(number);
  if (!Number.isSafeInteger(value) || value <= 0) return null;
  return { owner, repo, number: value };
}

/** Parses `owner/repo#N` or a pull request URL; anything else is `null`. */
export function parsePrRef(input: string): PrRef | null {
  const text = input.trim();
  const match = SHORT_REF.exec(text) ?? PR_URL.exec(text);
  return match ? toRef(match[1], match[2], match[3]) : null;
}

/** Like {@link parsePrRef}, for input a person typed: a bad ref is their mistake, reported as such. */
export function requirePrRef(input: string): PrRef {
  const ref = parsePrRef(input);
  if (!ref) {
    throw new TinytownError(
      'INVALID_INPUT',
      `not a pull request reference: '${input}' (expected owner/repo#N or https://github.com/owner/repo/pull/N)`,
      { field: 'pr_ref', value: input },
    );
  }
  return ref;
}

export interface ExtractPrRefsOptions {
  /**
   * Refs known not to be pull requests, in any spelling — typically the mission's issue objectives, which
   * workers quote in their results in the same `owner/repo#N` form as PRs.
   */
  exclude?: Iterable<string | NumberedRef>;
}

/**
 * The pull requests a completion result names, as URLs or `owner/repo#N`, once each (a URL and the short
 * form of the same PR are one PR), in a stable order.
 */
export function extractPrRefs(text: string, options: ExtractPrRefsOptions = {}): PrRef[] {
  const excluded = new Set<string>();
  for (const entry of options.exclude ?? []) {
    const ref = typeof entry === 'string' ? parsePrRef(entry) : entry;
    if (ref) excluded.add(refKey(ref));
  }
  const found = new Map<string, PrRef>();
  for (const pattern of [PR_URL_IN_TEXT, SHORT_REF_IN_TEXT]) {
    for (const match of text.matchAll(pattern)) {
      const ref = toRef(match[1], match[2], match[3]);
      if (!ref) continue;
      const key = refKey(ref);
      if (!excluded.has(key) && !found.has(key)) found.set(key, ref);
    }
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ref]) => ref);
}
