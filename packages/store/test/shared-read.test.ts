import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sharedRead } from '../src/shared-read.js';

/**
 * A read of a value that writes change: each call reports the value at the moment it was sent and
 * finishes when the test says so, as a Redis GET in flight would.
 */
function controllableRead() {
  const state = { value: 0, sent: [] as { saw: number; finish: () => void }[] };
  const read = () =>
    new Promise<number>((resolve) => {
      const saw = state.value;
      state.sent.push({ saw, finish: () => resolve(saw) });
    });
  return { state, read };
}

describe('sharedRead', () => {
  it('sends one call for the callers of a turn, after the last of them asked', async () => {
    const { state, read } = controllableRead();
    const shared = sharedRead(read);
    const first = shared();
    state.value = 1; // a write that completed after the first caller asked, before the second did
    const second = shared();
    expect(state.sent).toHaveLength(0);
    await nextTurn();
    expect(state.sent).toHaveLength(1);
    state.sent[0]?.finish();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
  });

  it('makes callers that arrive while a call is in flight share the next one, sent when it returns', async () => {
    const { state, read } = controllableRead();
    const shared = sharedRead(read);
    const early = shared();
    await nextTurn();
    expect(state.sent).toHaveLength(1);

    // The call in flight may have been answered before this write: later callers must not use it.
    state.value = 2;
    const late = [shared(), shared()];
    await nextTurn();
    await nextTurn();
    const third = shared();
    expect(state.sent).toHaveLength(1);

    state.sent[0]?.finish();
    expect(await early).toBe(0);
    await nextTurn();
    expect(state.sent).toHaveLength(2);
    state.sent[1]?.finish();
    expect(await Promise.all([...late, third])).toEqual([2, 2, 2]);
  });

  it('passes a failure to the callers of that call only', async () => {
    let calls = 0;
    const shared = sharedRead(async () => {
      calls += 1;
      if (calls === 1) throw new Error('connection reset');
      return calls;
    });
    const failed = await Promise.allSettled([shared(), shared()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await shared()).toBe(2);
  });
});
