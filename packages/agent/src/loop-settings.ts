import { TinytownError } from '@tinytown/core';

/** What the loop needs from the town's `[agent]` config, in milliseconds. */
export interface AgentLoopSettings {
  /** Rounds (CLI runs) before the loop ends. */
  readonly maxRounds: number;
  /** 0 disables the idle exit. */
  readonly idleTimeoutMs: number;
  readonly roundTimeoutMs: number;
  /** When the inbox is empty, claim the oldest role-matching backlog task. */
  readonly autoClaim: boolean;
  /** The newest round logs kept per agent, older ones deleted after each round. Default 200. */
  readonly keepRoundLogs?: number | undefined;
}

/** The settings as the loop uses them: checked, with the defaults filled in. */
export type CheckedLoopSettings = Required<{
  [K in keyof AgentLoopSettings]: Exclude<AgentLoopSettings[K], undefined>;
}>;

/** Round logs kept per agent when the settings do not say. */
export const DEFAULT_KEEP_ROUND_LOGS = 200;

function refuse(field: keyof AgentLoopSettings, wanted: string, value: unknown): never {
  throw new TinytownError('CONFIG_INVALID', `settings.${field} must be ${wanted}, got ${String(value)}`, {
    field: `settings.${field}`,
    value,
  });
}

const isWholeNumber = (value: number, min: number) => Number.isSafeInteger(value) && value >= min;

/**
 * Checks the loop's settings before it touches anything. Each refused value would otherwise misbehave
 * quietly: 0 rounds end the loop before it starts, a round timeout of 0 or NaN kills every round at once,
 * and keeping 0 round logs would delete the one just written.
 */
export function checkLoopSettings(settings: AgentLoopSettings): CheckedLoopSettings {
  const { maxRounds, idleTimeoutMs, roundTimeoutMs, autoClaim } = settings;
  const keepRoundLogs = settings.keepRoundLogs ?? DEFAULT_KEEP_ROUND_LOGS;
  if (!isWholeNumber(maxRounds, 1)) refuse('maxRounds', 'a whole number of 1 or more', maxRounds);
  if (!(idleTimeoutMs >= 0))
    refuse('idleTimeoutMs', 'a number of milliseconds, 0 or more (0: never)', idleTimeoutMs);
  if (!(roundTimeoutMs > 0)) refuse('roundTimeoutMs', 'a number of milliseconds above 0', roundTimeoutMs);
  if (!isWholeNumber(keepRoundLogs, 1)) {
    refuse(
      'keepRoundLogs',
      'a whole number of 1 or more (the newest round logs kept per agent)',
      keepRoundLogs,
    );
  }
  return { maxRounds, idleTimeoutMs, roundTimeoutMs, autoClaim, keepRoundLogs };
}
