import { describe, expect, it } from 'vitest';
import {
  baseScore,
  type CandidateAgent,
  chooseAgent,
  LOAD_PENALTY,
  laneOf,
  normalizeRole,
  scoreAgents,
} from '../src/index.js';

const agent = (name: string, role_id: string | null = null, load = 0, id = `id-${name}`): CandidateAgent => ({
  id,
  name,
  role_id,
  load,
});

describe('lanes', () => {
  it('reads the role first, then whole words of the name', () => {
    expect(laneOf(agent('alpha', 'backend'))).toBe('backend');
    expect(laneOf(agent('alpha', 'audit'))).toBe('reviewer');
    expect(laneOf(agent('backend-2'))).toBe('backend');
    expect(laneOf(agent('reviewer'))).toBe('reviewer');
    expect(laneOf(agent('qaBot'))).toBe('tester');
    // Substrings do not count: "specialist" has "ci", "guide" has "ui".
    expect(laneOf(agent('specialist'))).toBe('generalist');
    expect(laneOf(agent('guide'))).toBe('generalist');
    // An unknown role falls back to the name.
    expect(laneOf(agent('web-1', 'wizard'))).toBe('frontend');
  });

  it('normalises role aliases', () => {
    expect(normalizeRole('Test')).toBe('tester');
    expect(normalizeRole('review')).toBe('reviewer');
    expect(normalizeRole('audit')).toBe('reviewer');
    expect(normalizeRole('infra')).toBe('devops');
    expect(normalizeRole('backend')).toBe('backend');
  });
});

describe('scoring', () => {
  it('scores by the lane tables', () => {
    expect(baseScore({ kind: 'implement', owner_role: 'backend' }, agent('x', 'backend'))).toBe(100);
    expect(baseScore({ kind: 'implement', owner_role: 'backend' }, agent('x', 'worker'))).toBe(55);
    expect(baseScore({ kind: 'implement', owner_role: 'backend' }, agent('x', 'tester'))).toBe(5);
    expect(baseScore({ kind: 'implement', owner_role: 'backend' }, agent('x', 'reviewer'))).toBe(0);
    expect(baseScore({ kind: 'implement', owner_role: null }, agent('x', 'reviewer'))).toBe(0);
    expect(baseScore({ kind: 'design', owner_role: null }, agent('x', 'researcher'))).toBe(75);
    expect(baseScore({ kind: 'review', owner_role: 'backend' }, agent('x', 'audit'))).toBe(120);
    expect(baseScore({ kind: 'test', owner_role: 'test' }, agent('x', 'tester'))).toBe(100);
  });

  it('sends implement work to a worker rather than a tester', () => {
    const chosen = chooseAgent({ kind: 'implement', owner_role: null }, [
      agent('tester', 'tester'),
      agent('backend-worker'),
    ]);
    expect(chosen?.agent.name).toBe('backend-worker');
  });

  it('sends review work to a reviewer even when the item has a backend owner', () => {
    const chosen = chooseAgent({ kind: 'review', owner_role: 'backend' }, [
      agent('be', 'backend'),
      agent('au', 'audit'),
    ]);
    expect(chosen?.agent.name).toBe('au');
    expect(chosen?.total).toBe(120);
  });

  it('applies a load penalty per item already held', () => {
    const scores = scoreAgents({ kind: 'implement', owner_role: 'backend' }, [
      agent('busy', 'backend', 2),
      agent('free', 'worker', 0),
    ]);
    expect(scores.map((score) => [score.agent.name, score.base, score.penalty, score.total])).toEqual([
      ['free', 55, 0, 55],
      ['busy', 100, 2 * LOAD_PENALTY, 40],
    ]);
  });

  it('orders the same way whatever order the agents come in', () => {
    const agents = [agent('carol'), agent('alice'), agent('bob'), agent('alice', null, 0, 'id-a2')];
    const item = { kind: 'implement', owner_role: null } as const;
    const names = (list: CandidateAgent[]) => scoreAgents(item, list).map((score) => score.agent.id);
    // Equal scores: by name, then by id ('id-a2' < 'id-alice').
    const expected = ['id-a2', 'id-alice', 'id-bob', 'id-carol'];
    expect(names(agents)).toEqual(expected);
    expect(names([...agents].reverse())).toEqual(expected);
    expect(chooseAgent(item, [...agents].reverse())?.agent.id).toBe(expected[0]);
  });

  it('never chooses an agent scoring 0 or less', () => {
    expect(chooseAgent({ kind: 'implement', owner_role: null }, [agent('r', 'reviewer')])).toBeNull();
    expect(chooseAgent({ kind: 'implement', owner_role: 'backend' }, [agent('r', 'audit')])).toBeNull();
    // 30 points of design work minus two held items is below zero.
    expect(chooseAgent({ kind: 'design', owner_role: null }, [agent('r', 'reviewer', 2)])).toBeNull();
    expect(chooseAgent({ kind: 'design', owner_role: null }, [agent('r', 'reviewer', 0)])?.total).toBe(30);
    expect(chooseAgent({ kind: 'implement', owner_role: null }, [])).toBeNull();
  });
});
