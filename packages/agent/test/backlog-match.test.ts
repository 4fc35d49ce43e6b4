import { describe, expect, it } from 'vitest';
import { backlogSnapshot, inferRoleHint, taskMatchesRole, wordsOf } from '../src/backlog-match.js';

const task = (description: string, tags: string[] = [], id = crypto.randomUUID()) => ({
  id,
  description,
  tags,
});

describe('wordsOf', () => {
  it('splits on punctuation and camelCase humps', () => {
    expect(wordsOf('frontEnd-dev_2/UI.kit')).toEqual(['front', 'end', 'dev', '2', 'ui', 'kit']);
  });
});

describe('inferRoleHint', () => {
  it('prefers the role id over the name', () => {
    expect(inferRoleHint({ name: 'frontend-1', role_id: 'reviewer' })).toBe('reviewer');
  });

  it('falls back to name words when the role id says nothing', () => {
    expect(inferRoleHint({ name: 'api-worker', role_id: 'worker' })).toBe('backend');
    expect(inferRoleHint({ name: 'qa_bot', role_id: null })).toBe('tester');
    expect(inferRoleHint({ name: 'docWriter', role_id: null })).toBe('docs');
  });

  it('does not take roles from word fragments', () => {
    expect(inferRoleHint({ name: 'builder', role_id: null })).toBe('general');
    expect(inferRoleHint({ name: 'guide', role_id: null })).toBe('general');
    expect(inferRoleHint({ name: 'feedback-bot', role_id: null })).toBe('general');
    expect(inferRoleHint({ name: 'latest', role_id: null })).toBe('general');
  });
});

describe('taskMatchesRole', () => {
  it('matches whole words only: "ui" is not in "build"', () => {
    expect(taskMatchesRole(task('Fix the build pipeline'), 'frontend')).toBe(false);
    expect(taskMatchesRole(task('Polish the UI for settings'), 'frontend')).toBe(true);
  });

  it('matches tags, including multi-word tags', () => {
    expect(taskMatchesRole(task('Do the thing', ['api-v2']), 'backend')).toBe(true);
    expect(taskMatchesRole(task('Do the thing', ['rapid']), 'backend')).toBe(false);
  });

  it('lets a general agent match anything', () => {
    expect(taskMatchesRole(task('anything at all'), 'general')).toBe(true);
  });
});

describe('backlogSnapshot', () => {
  it('keeps backlog order, caps the list at 8 and counts every match', () => {
    const backlog = [
      ...Array.from({ length: 10 }, (_, i) => task(`Write regression test ${i}`)),
      task('Design the logo'),
    ];
    const snapshot = backlogSnapshot(backlog, 'tester');
    expect(snapshot.total).toBe(11);
    expect(snapshot.matchingCount).toBe(10);
    expect(snapshot.matches).toHaveLength(8);
    expect(snapshot.matches[0]?.description).toBe('Write regression test 0');
  });
});
