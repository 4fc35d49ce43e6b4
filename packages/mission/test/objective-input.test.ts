import { describe, expect, it } from 'vitest';
import { needsDefaultRepo, parseObjectiveInput, parseRepo, repoFromRemoteUrl } from '../src/index.js';

describe('objectives as people type them', () => {
  it('reads issue refs, issue URLs, short numbers and docs', () => {
    expect(parseObjectiveInput('acme/app#12')).toEqual({
      type: 'issue',
      owner: 'acme',
      repo: 'app',
      number: 12,
    });
    expect(parseObjectiveInput('https://github.com/acme/app/issues/7')).toEqual({
      type: 'issue',
      owner: 'acme',
      repo: 'app',
      number: 7,
    });
    expect(parseObjectiveInput('#3', { owner: 'o', repo: 'r' })).toEqual({
      type: 'issue',
      owner: 'o',
      repo: 'r',
      number: 3,
    });
    expect(parseObjectiveInput('docs/design.md')).toEqual({ type: 'doc', path: 'docs/design.md' });
    expect(parseObjectiveInput('doc:NOTES')).toEqual({ type: 'doc', path: 'NOTES' });
  });
  it('refuses what it cannot read, naming the input', () => {
    expect(() => parseObjectiveInput('#3')).toThrow(/name the repository/);
    expect(() => parseObjectiveInput('fix the bug')).toThrow(/fix the bug/);
    expect(() => parseObjectiveInput('https://github.com/acme/app/pull/7')).toThrow(/OBJECTIVE|expected/);
  });

  it('finds the default repository in --repo and in git remote URLs', () => {
    expect(parseRepo('acme/app')).toEqual({ owner: 'acme', repo: 'app' });
    for (const bad of ['acme', 'acme/app/x', 'acme/', '/app', 'ac me/app'])
      expect(parseRepo(bad)).toBeUndefined();
    for (const url of [
      'https://github.com/acme/app.git',
      'https://github.com/acme/app',
      'git@github.com:acme/app.git',
      'ssh://git@github.example.com:2222/acme/app.git',
      'https://ghe.example.com/acme/app/',
    ]) {
      expect(repoFromRemoteUrl(url), url).toEqual({ owner: 'acme', repo: 'app' });
    }
    for (const local of ['/srv/git/app', './app', 'file:///srv/acme/app'])
      expect(repoFromRemoteUrl(local)).toBeUndefined();
    expect(repoFromRemoteUrl('app')).toBeUndefined();
    expect(needsDefaultRepo('#12')).toBe(true);
    expect(needsDefaultRepo(' 12 ')).toBe(true);
    expect(needsDefaultRepo('acme/app#12')).toBe(false);
  });
});
