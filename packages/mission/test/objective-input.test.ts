import { describe, expect, it } from 'vitest';
import { parseObjectiveInput } from '../src/index.js';

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
});
