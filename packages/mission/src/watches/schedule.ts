import { TinytownError } from '@tinytown/core';

/** Wait after the 1st, 2nd, and 3rd-or-later consecutive failed check before trying again. */
export const WATCH_FAILURE_BACKOFF_SECS = [60, 120, 300] as const;

/** After this many consecutive failed checks a person has to look: the work item is blocked once. */
export const WATCH_ESCALATION_THRESHOLD = 5;

/** A watch that triggered without resolving waits this long, not its interval: the fix takes a while. */
export const WATCH_TRIGGER_SNOOZE_SECS = 180;

/** Shorter snoozes would poll the forge harder than the watch interval was meant to. */
export const WATCH_SNOOZE_MIN_SECS = 60;
/** A snooze of more than a week is a watch someone should remove instead. */
export const WATCH_SNOOZE_MAX_SECS = 7 * 24 * 60 * 60;

/** Seconds to wait after `consecutiveFailures` failures in a row (counting the one just recorded). */
export function failureBackoffSecs(consecutiveFailures: number): number {
  const index = Math.min(Math.max(consecutiveFailures, 1), WATCH_FAILURE_BACKOFF_SECS.length) - 1;
  return WATCH_FAILURE_BACKOFF_SECS[index] ?? 300;
}

/**
 * True exactly when the failure count reaches the threshold, not on every failure after it: the original
 * re-blocked the work item every five minutes, even items already done.
 */
export function shouldEscalate(consecutiveFailures: number): boolean {
  return consecutiveFailures === WATCH_ESCALATION_THRESHOLD;
}

/** Validates a snooze duration a caller asked for; INVALID_INPUT when out of range. */
export function validateSnoozeSecs(durationSecs: number): number {
  if (!Number.isInteger(durationSecs) || durationSecs < WATCH_SNOOZE_MIN_SECS) {
    throw new TinytownError(
      'INVALID_INPUT',
      `duration_secs: must be a whole number of seconds, at least ${WATCH_SNOOZE_MIN_SECS}`,
      { field: 'duration_secs', value: durationSecs },
    );
  }
  if (durationSecs > WATCH_SNOOZE_MAX_SECS) {
    throw new TinytownError('INVALID_INPUT', `duration_secs: must be at most ${WATCH_SNOOZE_MAX_SECS}`, {
      field: 'duration_secs',
      value: durationSecs,
    });
  }
  return durationSecs;
}

export function addSeconds(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
