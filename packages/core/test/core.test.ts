import { describe, expect, it } from 'vitest';
import {
  AGENT_TRANSITIONS,
  type Agent,
  assertAgentTransition,
  assertTaskTransition,
  CONDUCTOR_ID,
  categorizeMessage,
  displayLabel,
  hasConfigKey,
  isConductorAlias,
  MachineConfig,
  MissionPolicy,
  matchAgentRef,
  nicknameFor,
  parseConfirmation,
  parseId,
  parseTags,
  statesLeadingTo,
  TASK_TRANSITIONS,
  TinytownError,
  TownConfig,
  validateName,
  WorkKind,
} from '../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof TinytownError ? error.code : 'not-a-tinytown-error';
  }
  return undefined;
}

const agent = (id: string, name: string, nickname: string | null, role_id: string | null = null) =>
  ({ id, name, nickname, role_id }) satisfies Pick<Agent, 'id' | 'name' | 'nickname' | 'role_id'>;

describe('names', () => {
  it('accepts 1-64 safe characters and refuses the rest', () => {
    expect(validateName('backend-1.a_b')).toBe('backend-1.a_b');
    for (const bad of ['', ' ', 'a b', 'a:b', '$(touch x)', 'x'.repeat(65), 'é']) {
      expect(codeOf(() => validateName(bad))).toBe('INVALID_NAME');
    }
  });
  it('reserves the conductor aliases for agents only', () => {
    expect(codeOf(() => validateName('Conductor'))).toBe('RESERVED_NAME');
    expect(codeOf(() => validateName('supervisor'))).toBe('RESERVED_NAME');
    expect(validateName('conductor', 'town')).toBe('conductor');
    expect(validateName('conductor-helper')).toBe('conductor-helper');
    expect(isConductorAlias(' SUPERVISOR ')).toBe(true);
  });
});

describe('state machines', () => {
  it('refuses illegal agent and task transitions with INVALID_TRANSITION', () => {
    expect(codeOf(() => assertAgentTransition('stopped', 'working'))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => assertAgentTransition('idle', 'working'))).toBeUndefined();
    expect(codeOf(() => assertTaskTransition('completed', 'completed'))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => assertTaskTransition('running', 'completed'))).toBeUndefined();
  });
  it('lists the states that lead to a target', () => {
    expect(statesLeadingTo(AGENT_TRANSITIONS, 'idle').sort()).toEqual(
      ['cold', 'error', 'paused', 'starting', 'stopped', 'working'].sort(),
    );
    expect(statesLeadingTo(TASK_TRANSITIONS, 'completed').sort()).toEqual(['assigned', 'running']);
    // A backlog task is claimed, cancelled or taken off: nobody worked on it, so it is not failed either.
    expect(statesLeadingTo(TASK_TRANSITIONS, 'failed').sort()).toEqual(['assigned', 'running']);
  });
});

describe('agent references', () => {
  const a = agent('aaaa1111-0000-4000-8000-000000000001', 'backend', 'Dorothy', 'backend');
  const b = agent('bbbb2222-0000-4000-8000-000000000002', 'frontend', 'Dorothy');
  const c = agent('cccc3333-0000-4000-8000-000000000003', 'tester', 'Walter');
  const all = [a, b, c];

  it('matches by uuid, name, nickname, label and short id, case-insensitively', () => {
    expect(matchAgentRef(a.id.toUpperCase(), all)).toBe(a);
    expect(matchAgentRef('BACKEND', all)).toBe(a);
    expect(matchAgentRef('walter', all)).toBe(c);
    expect(matchAgentRef('Dorothy [backend]', all)).toBe(a);
    expect(matchAgentRef('Dorothy [frontend]', all)).toBe(b);
    expect(matchAgentRef('cccc', all)).toBe(c);
  });
  it('names the candidates of an ambiguous reference', () => {
    try {
      matchAgentRef('dorothy', all);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TinytownError);
      expect((error as TinytownError).code).toBe('AMBIGUOUS_REF');
      expect((error as TinytownError).message).toContain('Dorothy [backend] (aaaa)');
      expect((error as TinytownError).message).toContain('Dorothy [frontend] (bbbb)');
    }
  });
  it('reports unknown and empty references as AGENT_NOT_FOUND', () => {
    expect(codeOf(() => matchAgentRef('nobody', all))).toBe('AGENT_NOT_FOUND');
    expect(codeOf(() => matchAgentRef('  ', all))).toBe('AGENT_NOT_FOUND');
    expect(codeOf(() => matchAgentRef('dddd4444-0000-4000-8000-000000000004', all))).toBe('AGENT_NOT_FOUND');
  });
  it('suggests the close names of an unknown reference: a typo, a swap, a prefix, a nickname', () => {
    const notFound = (ref: string, agents = all) => {
      try {
        matchAgentRef(ref, agents);
      } catch (error) {
        expect(error).toMatchObject({ code: 'AGENT_NOT_FOUND' });
        return error as TinytownError;
      }
      throw new Error(`'${ref}' matched an agent`);
    };
    const typo = notFound('backnd');
    expect(typo.message).toBe('Agent not found: backnd (did you mean "backend"?)');
    expect(typo.details).toEqual({ ref: 'backnd', suggestions: ['backend'] });
    expect(notFound('TSETER').details.suggestions).toEqual(['tester']);
    expect(notFound('front').details.suggestions).toEqual(['frontend']);
    expect(notFound('Walt').details.suggestions).toEqual(['tester']);
    const twins = [...all, agent('dddd4444-0000-4000-8000-000000000004', 'backend2', 'Ada')];
    expect(notFound('backen', twins).message).toBe(
      'Agent not found: backen (did you mean "backend" or "backend2"?)',
    );
    // Nothing close, a reference too short to judge, a missing id: no guess.
    for (const ref of ['nobody', 'xy', 'dddd4444-0000-4000-8000-000000000004']) {
      expect(notFound(ref).message).toBe(`Agent not found: ${ref}`);
      expect(notFound(ref).details).toEqual({ ref });
    }
  });
  it('labels an agent without a role by its name', () => {
    expect(displayLabel(b)).toBe('Dorothy [frontend]');
    expect(displayLabel(a)).toBe('Dorothy [backend]');
  });
});

describe('ids and nicknames', () => {
  it('gives the same nickname to the same id', () => {
    const id = crypto.randomUUID();
    expect(nicknameFor(id)).toBe(nicknameFor(id));
    expect(nicknameFor('0000aaaa-0000-4000-8000-000000000000')).not.toBe(
      nicknameFor('0001aaaa-0000-4000-8000-000000000000'),
    );
  });
  it('refuses ids that are not UUIDs', () => {
    expect(codeOf(() => parseId('not-a-uuid'))).toBe('INVALID_ID');
    expect(parseId(` ${CONDUCTOR_ID.toUpperCase()} `)).toBe(CONDUCTOR_ID);
  });
});

describe('messages', () => {
  it('parses acknowledgement text', () => {
    expect(parseConfirmation('Rejected: needs tests')).toEqual({ type: 'rejected', reason: 'needs tests' });
    expect(parseConfirmation('rejected:   ')).toEqual({ type: 'rejected', reason: 'No reason provided' });
    expect(parseConfirmation('received, on it')).toEqual({ type: 'received' });
    expect(parseConfirmation('approved!')).toEqual({ type: 'approved' });
    expect(parseConfirmation('ok, thank you')).toEqual({ type: 'thanks' });
    expect(parseConfirmation('done')).toEqual({ type: 'acknowledged' });
  });
  it('categorises custom messages on whole words', () => {
    expect(categorizeMessage({ type: 'custom', kind: 'feedback', payload: 'track this' })).toBe('task');
    expect(categorizeMessage({ type: 'custom', kind: 'note', payload: 'ack' })).toBe('confirmation');
    expect(categorizeMessage({ type: 'custom', kind: 'fyi', payload: 'x' })).toBe('informational');
    expect(categorizeMessage({ type: 'ping' })).toBe('informational');
  });
  it('splits tags', () => {
    expect(parseTags(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
  });
});

describe('schemas', () => {
  it('fills mission policy defaults and reads the legacy merge gate spelling', () => {
    expect(MissionPolicy.parse({})).toEqual({
      max_parallel_items: 2,
      reviewer_required: true,
      auto_merge: false,
      watch_interval_secs: 180,
    });
    expect(WorkKind.parse('mergegate')).toBe('merge_gate');
  });
  it('reports unknown config keys instead of ignoring them', () => {
    const result = TownConfig.safeParse({ name: 'town', surprise: 1 });
    expect(result.success).toBe(false);
    expect(TownConfig.parse({ name: 'town' }).agent.lease_secs).toBe(30);
  });

  it('tells a setting that is only unset from one that does not exist', () => {
    const known = ['redis.url', 'conductor_cli', 'agent.max_rounds', 'agent_clis.my-ai.command', 'townhall'];
    for (const key of known) expect(hasConfigKey(TownConfig, key.split('.'))).toBe(true);
    const unknown = ['redis.uri', 'agent.max_round', 'agent_clis.my-ai.comand', 'name.first', 'surprise'];
    for (const key of unknown) expect(hasConfigKey(TownConfig, key.split('.'))).toBe(false);
    expect(hasConfigKey(MachineConfig, ['default_cli'])).toBe(true);
    expect(hasConfigKey(MachineConfig, ['redis', 'url'])).toBe(false);
  });
});
