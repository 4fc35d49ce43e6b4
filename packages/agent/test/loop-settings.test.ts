import { isTinytownError } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { type AgentLoopSettings, checkLoopSettings } from '../src/loop-settings.js';
import { thrown } from './helpers.js';

const GOOD: AgentLoopSettings = { maxRounds: 10, idleTimeoutMs: 0, roundTimeoutMs: 60_000, autoClaim: false };

describe('checkLoopSettings', () => {
  it('fills in 200 round logs kept, and takes what a town may set', () => {
    expect(checkLoopSettings(GOOD)).toEqual({ ...GOOD, keepRoundLogs: 200 });
    expect(checkLoopSettings({ ...GOOD, keepRoundLogs: undefined }).keepRoundLogs).toBe(200);
    const edges = { maxRounds: 1, idleTimeoutMs: 0, roundTimeoutMs: 1, autoClaim: true, keepRoundLogs: 1 };
    expect(checkLoopSettings(edges)).toEqual(edges);
  });

  it('refuses each value that would quietly misbehave, saying what it wants', () => {
    const cases: [Partial<AgentLoopSettings>, string][] = [
      [{ maxRounds: 0 }, 'settings.maxRounds must be a whole number of 1 or more, got 0'],
      [{ maxRounds: 2.5 }, 'settings.maxRounds must be a whole number of 1 or more, got 2.5'],
      [
        { idleTimeoutMs: -1 },
        'settings.idleTimeoutMs must be a number of milliseconds, 0 or more (0: never), got -1',
      ],
      [
        { idleTimeoutMs: Number.NaN },
        'settings.idleTimeoutMs must be a number of milliseconds, 0 or more (0: never), got NaN',
      ],
      [{ roundTimeoutMs: 0 }, 'settings.roundTimeoutMs must be a number of milliseconds above 0, got 0'],
      [
        { roundTimeoutMs: Number.NaN },
        'settings.roundTimeoutMs must be a number of milliseconds above 0, got NaN',
      ],
      [
        { keepRoundLogs: 0 },
        'settings.keepRoundLogs must be a whole number of 1 or more (the newest round logs kept per agent), got 0',
      ],
      [
        { keepRoundLogs: Number.POSITIVE_INFINITY },
        'settings.keepRoundLogs must be a whole number of 1 or more (the newest round logs kept per agent), got Infinity',
      ],
    ];
    for (const [bad, message] of cases) {
      const caught = thrown(() => checkLoopSettings({ ...GOOD, ...bad }));
      expect(isTinytownError(caught, 'CONFIG_INVALID')).toBe(true);
      expect((caught as Error).message).toBe(message);
    }
  });
});
