import { describe, expect, it } from 'vitest';
import { extractPrRefs, formatRef, parsePrRef, parseReviewVerdict, requirePrRef } from '../src/index.js';

describe('parseReviewVerdict', () => {
  it('reads approvals', () => {
    expect(parseReviewVerdict('approved: looks solid')).toEqual({ verdict: 'approve', note: 'looks solid' });
    expect(parseReviewVerdict('  APPROVED')).toEqual({ verdict: 'approve', note: '' });
    expect(parseReviewVerdict('**Approved** - ship it')).toEqual({ verdict: 'approve', note: 'ship it' });
    expect(parseReviewVerdict('LGTM!')).toMatchObject({ verdict: 'approve' });
  });

  it('reads change requests with their reason', () => {
    expect(parseReviewVerdict('rejected: missing tests for the error path')).toEqual({
      verdict: 'changes',
      reason: 'missing tests for the error path',
    });
    expect(parseReviewVerdict('Changes requested: rename the flag')).toEqual({
      verdict: 'changes',
      reason: 'rename the flag',
    });
    expect(parseReviewVerdict('rejected')).toEqual({ verdict: 'changes', reason: 'rejected' });
  });

  it('does not take anything else for an approval', () => {
    expect(parseReviewVerdict('still reading, not approved yet')).toEqual({
      verdict: 'unclear',
      text: 'still reading, not approved yet',
    });
    expect(parseReviewVerdict('approvedish')).toMatchObject({ verdict: 'unclear' });
    expect(parseReviewVerdict('')).toMatchObject({ verdict: 'unclear' });
  });
});

describe('PR refs', () => {
  it('parses short refs and URLs, tolerating suffixes', () => {
    const expected = { owner: 'acme', repo: 'my.repo', number: 42 };
    expect(parsePrRef('acme/my.repo#42')).toEqual(expected);
    expect(parsePrRef('https://github.com/acme/my.repo/pull/42')).toEqual(expected);
    expect(parsePrRef('https://github.com/acme/my.repo/pull/42/files?w=1')).toEqual(expected);
    expect(parsePrRef('https://github.com/acme/my.repo/pull/42/')).toEqual(expected);
    expect(parsePrRef('https://ghe.example.com/acme/my.repo/pull/42')).toEqual(expected);
    expect(parsePrRef('https://github.com/acme/my.repo/issues/42')).toBeNull();
    expect(parsePrRef('acme/my.repo')).toBeNull();
    expect(parsePrRef('invalid')).toBeNull();
    expect(parsePrRef('acme/repo#0')).toBeNull();
    expect(() => requirePrRef('nope')).toThrow(/not a pull request reference/);
    expect(formatRef(expected)).toBe('acme/my.repo#42');
  });

  it('extracts each PR once from a completion result', () => {
    const text = [
      'Opened https://github.com/acme/app/pull/12 and acme/app#12 (same PR),',
      'plus acme/lib#3. Fixes issue https://github.com/acme/app/issues/7.',
      'See also https://github.com/acme/app/pull/9/files',
    ].join('\n');
    expect(extractPrRefs(text).map(formatRef)).toEqual(['acme/app#12', 'acme/app#9', 'acme/lib#3']);
  });

  it('leaves out refs known to be issues', () => {
    const text = 'Closes acme/app#7 with https://github.com/acme/app/pull/12';
    expect(extractPrRefs(text, { exclude: ['acme/app#7'] }).map(formatRef)).toEqual(['acme/app#12']);
    expect(extractPrRefs('nothing here, just #5')).toEqual([]);
  });
});
