import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTinytownError, type ObjectiveRef, type TinytownError, WorkItem } from '@tinytown/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMission, firstHeading, inferKind, inferOwnerRole, parseDependencies } from '../src/index.js';
import { issueForge, type StubIssue } from './forge-stub.js';

const MISSION_ID = '6f1d8d4e-2a43-4d8e-9a53-0c7b1d6f3a10';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const home = { owner: 'acme', repo: 'app' };

let townRoot: string;
let outside: string;

beforeAll(async () => {
  townRoot = await mkdtemp(join(tmpdir(), 'tt-compiler-town-'));
  outside = await mkdtemp(join(tmpdir(), 'tt-compiler-outside-'));
  await mkdir(join(townRoot, 'docs'));
  await writeFile(
    join(townRoot, 'docs', 'auth.md'),
    '---\ntitle: ignored\n---\n\n```md\n# Not this one\n```\n\n## Auth redesign ##\n\nBody # text\n',
  );
  await writeFile(join(townRoot, 'docs', 'plain.md'), 'No heading here, only prose.\n');
  await writeFile(join(townRoot, 'docs', 'empty.md'), '\uFEFF\n  \n');
  await writeFile(join(outside, 'secret.md'), '# Secret\n');
  await symlink(join(outside, 'secret.md'), join(townRoot, 'docs', 'escape.md'));
  await symlink(outside, join(townRoot, 'linked-dir'));
  await symlink(join(townRoot, 'docs', 'auth.md'), join(townRoot, 'docs', 'alias.md'));
});
afterAll(async () => {
  await rm(townRoot, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const issue = (number: number, owner = 'acme', repo = 'app'): ObjectiveRef => ({
  type: 'issue',
  owner,
  repo,
  number,
});

function counterIds(): () => string {
  let next = 0;
  return () => `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`;
}

async function compile(issues: Record<string, StubIssue>, objectives: ObjectiveRef[]) {
  return compileMission({
    missionId: MISSION_ID,
    objectives,
    forge: issueForge(issues),
    townRoot,
    now: NOW,
    newId: counterIds(),
  });
}

async function compileError(
  promise: Promise<unknown>,
  code: 'DEPENDENCY_CYCLE' | 'OBJECTIVE_INVALID' | 'FORGE_ERROR',
) {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isTinytownError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`);
  return error as TinytownError;
}

const bySource = (items: WorkItem[]) => new Map(items.map((item) => [item.source_ref, item]));

describe('parseDependencies', () => {
  it('reads every keyword and list form, case-insensitively', () => {
    const refs = (body: string) => parseDependencies(body, home).map((ref) => ref.number);
    expect(refs('Depends on #1, #2 and #3')).toEqual([1, 2, 3]);
    expect(refs('depend on #4 & #5')).toEqual([4, 5]);
    expect(refs('Blocked by #6, #7, and #8.')).toEqual([6, 7, 8]);
    expect(refs('REQUIRES #9')).toEqual([9]);
    expect(refs('require #10')).toEqual([10]);
    expect(refs('Do this after #11 ships')).toEqual([11]);
    expect(refs('Depends on: #12')).toEqual([12]);
    expect(refs('after #1; depends on #1 and #2')).toEqual([1, 2]);
  });

  it('needs whole keywords and refs right after them', () => {
    const refs = (body: string) => parseDependencies(body, home);
    expect(refs('thereafter #5')).toEqual([]);
    expect(refs('prerequires #5')).toEqual([]);
    expect(refs('depends on issue #5')).toEqual([]);
    expect(refs('see #5 which this depends on')).toEqual([]);
    expect(refs('depends on #5abc')).toEqual([]);
  });

  it('keeps cross-repo refs precise and puts bare refs in the home repo', () => {
    expect(parseDependencies('Blocked by acme/lib#4 and #2', home)).toEqual([
      { owner: 'acme', repo: 'lib', number: 4 },
      { owner: 'acme', repo: 'app', number: 2 },
    ]);
  });

  it('never reads the title (the compiler passes only the body)', async () => {
    const items = await compile(
      { 'acme/app#1': { title: 'Depends on #2' }, 'acme/app#2': { title: 'Two' } },
      [issue(1), issue(2)],
    );
    expect(items.every((item) => item.depends_on.length === 0)).toBe(true);
  });
});

describe('inference', () => {
  it('matches whole words only: "ui" is not in "build", "spec" not in "inspect"', () => {
    const text = (title: string, body = '') => ({ title, body, labels: [] });
    expect(inferOwnerRole(text('Speed up the build'), 'implement')).toBeNull();
    expect(inferOwnerRole(text('Polish the UI of settings'), 'implement')).toBe('frontend');
    expect(inferKind(text('Inspect the cache'))).toBe('implement');
    expect(inferKind(text('Write spec for cache'))).toBe('test');
    expect(inferKind(text('Add prefix option'))).toBe('implement');
    expect(inferOwnerRole(text('Rapid retries'), 'implement')).toBeNull();
    expect(inferOwnerRole(text('Rate-limit the API'), 'implement')).toBe('backend');
    expect(inferKind(text('Follow-up on retries'))).toBe('followup');
  });

  it('reads labels before text and the title before the body', () => {
    expect(inferKind({ title: 'Add login tests', body: '', labels: ['type: design'] })).toBe('design');
    expect(inferKind({ title: 'Add login endpoint', body: 'Also add tests', labels: [] })).toBe('implement');
    expect(inferKind({ title: 'Login', body: 'Write the design', labels: [] })).toBe('design');
    // After "Implement …"/"Add …", review and merge words name the feature, not a review or a merge gate.
    const titled = (title: string) => inferKind({ title, body: '', labels: [] });
    expect(titled('Implement audit log')).toBe('implement');
    expect(titled('Add review reminders')).toBe('implement');
    expect(titled('Build the merge queue')).toBe('implement');
    expect(titled('Audit the dependencies')).toBe('review');
    expect(titled('Review the session handling')).toBe('review');
    expect(titled('Add login tests')).toBe('test');
    expect(inferOwnerRole({ title: 'Login API', body: '', labels: ['area/frontend'] }, 'implement')).toBe(
      'frontend',
    );
    expect(inferOwnerRole({ title: 'Cover the API', body: '', labels: [] }, 'test')).toBe('tester');
    expect(inferOwnerRole({ title: 'Audit auth', body: '', labels: [] }, 'review')).toBe('reviewer');
  });
});

describe('compileMission', () => {
  const fiveIssues: Record<string, StubIssue> = {
    'acme/app#1': { title: 'Design the auth flow', body: 'We need an RFC first.' },
    'acme/app#2': { title: 'Login API endpoint', body: 'Depends on #1.' },
    'acme/app#3': { title: 'Login page UI', body: 'Blocked by #1, #2 and #4', labels: ['frontend'] },
    'acme/app#4': { title: 'Deploy the session store', body: 'after #1' },
    'acme/app#5': { title: 'End-to-end tests for login', body: 'Requires #2 & #3' },
  };

  it('compiles five issues into a dependency graph, dependencies first', async () => {
    const items = await compile(fiveIssues, [issue(5), issue(4), issue(3), issue(2), issue(1)]);
    expect(items).toHaveLength(5);
    for (const item of items) expect(() => WorkItem.parse(item)).not.toThrow();

    const source = bySource(items);
    const id = (n: number) => source.get(`acme/app#${n}`)?.id;
    const deps = (n: number) => [...(source.get(`acme/app#${n}`)?.depends_on ?? [])].sort();
    expect(deps(1)).toEqual([]);
    expect(deps(2)).toEqual([id(1)]);
    expect(deps(3)).toEqual([id(1), id(2), id(4)].sort());
    expect(deps(4)).toEqual([id(1)]);
    expect(deps(5)).toEqual([id(2), id(3)].sort());

    const position = new Map(items.map((item, index) => [item.id, index]));
    for (const item of items) {
      for (const dep of item.depends_on) expect(position.get(dep)).toBeLessThan(position.get(item.id) ?? -1);
    }

    expect(source.get('acme/app#1')).toMatchObject({ kind: 'design', owner_role: null });
    expect(source.get('acme/app#2')).toMatchObject({ kind: 'implement', owner_role: 'backend' });
    expect(source.get('acme/app#3')).toMatchObject({ kind: 'implement', owner_role: 'frontend' });
    expect(source.get('acme/app#4')).toMatchObject({ kind: 'implement', owner_role: 'devops' });
    expect(source.get('acme/app#5')).toMatchObject({ kind: 'test', owner_role: 'tester' });
    for (const item of items) {
      expect(item).toMatchObject({
        mission_id: MISSION_ID,
        status: 'pending',
        assigned_to: null,
        artifact_refs: [],
        reviewer_approved: false,
        created_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
      });
    }
  });

  it('gives the same order for the same objectives', async () => {
    const objectives = [issue(5), issue(4), issue(3), issue(2), issue(1)];
    const first = (await compile(fiveIssues, objectives)).map((item) => item.source_ref);
    const second = (await compile(fiveIssues, objectives)).map((item) => item.source_ref);
    expect(first).toEqual(second);
    expect(first[0]).toBe('acme/app#1');
  });

  it('links cross-repo dependencies to the right repository', async () => {
    const items = await compile(
      {
        'acme/app#4': { title: 'Use new client', body: 'Blocked by acme/lib#4 and #2' },
        'acme/app#2': { title: 'Two' },
        'acme/lib#4': { title: 'Client library' },
      },
      [issue(4), issue(2), issue(4, 'acme', 'lib')],
    );
    const source = bySource(items);
    expect([...(source.get('acme/app#4')?.depends_on ?? [])].sort()).toEqual(
      [source.get('acme/lib#4')?.id, source.get('acme/app#2')?.id].sort(),
    );
    expect(source.get('acme/lib#4')?.depends_on).toEqual([]);
  });

  it('does not let a bare #N in one repo point at the same number in another', async () => {
    const error = await compileError(
      compile({ 'acme/app#1': { title: 'App', body: 'depends on #4' }, 'acme/lib#4': { title: 'Lib' } }, [
        issue(1),
        issue(4, 'acme', 'lib'),
      ]),
      'OBJECTIVE_INVALID',
    );
    expect(error.message).toContain('acme/app#4');
    expect(error.details.missing).toEqual(['acme/app#4']);
  });

  it('refuses a dependency on an issue that is not an objective, naming it', async () => {
    const error = await compileError(
      compile({ 'acme/app#1': { title: 'One', body: 'Depends on #9' } }, [issue(1)]),
      'OBJECTIVE_INVALID',
    );
    expect(error.message).toContain('acme/app#9');
    expect(error.message).toContain('acme/app#1');
  });

  it('reports a cycle naming exactly the items on it', async () => {
    const error = await compileError(
      compile(
        {
          'acme/app#1': { title: 'One', body: 'depends on #3' },
          'acme/app#2': { title: 'Two', body: 'depends on #1' },
          'acme/app#3': { title: 'Three', body: 'depends on #2' },
          'acme/app#4': { title: 'Four', body: 'depends on #1' },
        },
        [issue(1), issue(2), issue(3), issue(4)],
      ),
      'DEPENDENCY_CYCLE',
    );
    const cycle = error.details.cycle as string[];
    expect(cycle).toHaveLength(3);
    expect(cycle.join(' ')).toContain('acme/app#1 "One"');
    expect(cycle.join(' ')).toContain('acme/app#2 "Two"');
    expect(cycle.join(' ')).toContain('acme/app#3 "Three"');
    expect(error.message).not.toContain('acme/app#4');
  });

  it('treats an issue depending on itself as a cycle', async () => {
    const error = await compileError(
      compile({ 'acme/app#1': { title: 'Self', body: 'after #1' } }, [issue(1)]),
      'DEPENDENCY_CYCLE',
    );
    expect(error.details.cycle).toEqual(['acme/app#1 "Self"']);
  });

  it('passes forge failures through and compiles nothing', async () => {
    const error = await compileError(compile({}, [issue(1)]), 'FORGE_ERROR');
    expect(error.details.status).toBe(404);
  });

  it('makes one design item per doc, titled by its first heading', async () => {
    const items = await compile({}, [
      { type: 'doc', path: 'docs/auth.md' },
      { type: 'doc', path: './docs/plain.md' },
      { type: 'doc', path: 'docs/alias.md' },
    ]);
    expect(items.map((item) => [item.title, item.kind, item.source_ref, item.owner_role])).toEqual([
      ['Auth redesign', 'design', 'docs/auth.md', null],
      ['docs/plain.md', 'design', 'docs/plain.md', null],
      ['Auth redesign', 'design', 'docs/alias.md', null],
    ]);
  });

  it('refuses doc paths that leave the town root, including through symlinks', async () => {
    for (const path of [
      '../outside.md',
      'docs/../../secret.md',
      join(outside, 'secret.md'),
      'docs/escape.md',
      'linked-dir/secret.md',
      'docs/missing.md',
      'docs',
    ]) {
      const error = await compileError(compile({}, [{ type: 'doc', path }]), 'OBJECTIVE_INVALID');
      expect(error.details.objective).toBe(path);
    }
  });
});

describe('empty docs', () => {
  it('refuses a doc with no text: an agent would have nothing to design from', async () => {
    const error = await compileError(
      compile({}, [
        { type: 'doc', path: 'docs/auth.md' },
        { type: 'doc', path: 'docs/empty.md' },
      ]),
      'OBJECTIVE_INVALID',
    );
    expect(error.message).toBe("doc objective 'docs/empty.md': is empty");
    expect(error.details.objective).toBe('docs/empty.md');
  });
});

describe('firstHeading', () => {
  it('reads ATX and setext headings and skips code fences', () => {
    expect(firstHeading('intro\n\n# Title #\n')).toBe('Title');
    expect(firstHeading('Big Title\n=========\n\ntext')).toBe('Big Title');
    expect(firstHeading('~~~\n# code\n~~~\n### Real')).toBe('Real');
    expect(firstHeading('#hashtag is not a heading\n')).toBeNull();
  });
});
