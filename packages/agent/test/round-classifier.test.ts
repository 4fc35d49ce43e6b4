import { CONDUCTOR_ID } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { classifyRound, withoutStaleAssignments } from '../src/round-classifier.js';
import { AGENT_ID, ALICE_ID, aliceLookup, message } from './helpers.js';

describe('classifyRound', () => {
  it('puts urgent actionable messages first and keeps arrival order within each group', () => {
    const first = message({ type: 'task', description: 'first' });
    const urgentA = message({ type: 'query', question: 'urgent a' }, { urgent: true });
    const second = message({ type: 'task_assign', task_id: crypto.randomUUID() });
    const urgentB = message({ type: 'task', description: 'urgent b' }, { priority: 'urgent' });
    const { actionable } = classifyRound([first, urgentA, second, urgentB]);
    expect(actionable.map((item) => item.message.id)).toEqual([urgentA.id, urgentB.id, first.id, second.id]);
    expect(actionable.map((item) => item.urgent)).toEqual([true, true, false, false]);
    expect(actionable.map((item) => item.category)).toEqual(['query', 'task', 'task', 'task']);
  });

  it('names senders by label, the conductor as conductor, and unknown senders by id', () => {
    const unknown = crypto.randomUUID();
    const { actionable } = classifyRound(
      [
        message({ type: 'task', description: 'a' }),
        message({ type: 'task', description: 'b' }, { from: CONDUCTOR_ID }),
        message({ type: 'task', description: 'c' }, { from: unknown }),
      ],
      aliceLookup,
    );
    expect(actionable.map((item) => [item.senderName, item.replyTo])).toEqual([
      ['Dorothy [reviewer]', 'alice'],
      ['conductor', 'conductor'],
      [unknown, unknown],
    ]);
    expect(actionable[0]?.senderId).toBe(ALICE_ID);
  });

  it('summarises informational messages on one line with the sender', () => {
    const { informational, actionable } = classifyRound(
      [
        message({ type: 'informational', summary: 'build is green\nsecond line' }),
        message({ type: 'task_done', task_id: 'abc', result: 'done' }),
        message({ type: 'ping' }),
      ],
      aliceLookup,
    );
    expect(actionable).toHaveLength(0);
    expect(informational[0]).toBe('Dorothy [reviewer]: info: build is green second line');
    expect(informational).toHaveLength(3);
    for (const line of informational) {
      expect(line).not.toContain('\n');
      expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it('counts confirmations by kind', () => {
    const { confirmations } = classifyRound([
      message({ type: 'confirmation', ack_type: { type: 'thanks' } }),
      message({ type: 'confirmation', ack_type: { type: 'received' } }),
      message({ type: 'confirmation', ack_type: { type: 'thanks' } }),
      message({ type: 'custom', kind: 'note', payload: 'thanks a lot' }),
    ]);
    expect(confirmations).toEqual([
      { summary: 'confirmation: thanks', count: 2 },
      { summary: 'confirmation: received', count: 1 },
      { summary: 'custom:note thanks a lot', count: 1 },
    ]);
  });

  it('treats shutdown as actionable and custom feedback as work, not an acknowledgement', () => {
    const { actionable } = classifyRound([
      message({ type: 'shutdown' }),
      message({ type: 'custom', kind: 'review', payload: 'feedback on the backend' }),
    ]);
    expect(actionable.map((item) => item.category)).toEqual(['other', 'task']);
  });
});

describe('withoutStaleAssignments', () => {
  const assignment = (taskId: string) => message({ type: 'task_assign', task_id: taskId });

  it('keeps assignments of live tasks held by this agent, and every other message', () => {
    const mine = crypto.randomUUID();
    const running = crypto.randomUUID();
    const classified = classifyRound([
      assignment(mine),
      message({ type: 'query', question: 'how?' }),
      assignment(running),
    ]);
    const kept = withoutStaleAssignments(
      classified,
      [
        { id: mine, state: 'assigned', assigned_to: AGENT_ID },
        { id: running, state: 'running', assigned_to: AGENT_ID },
      ],
      AGENT_ID,
    );
    expect(kept).toBe(classified);
  });

  it('turns assignments of finished, cancelled, reassigned or missing tasks into information', () => {
    const [done, cancelled, elsewhere, unassigned, missing, live] = Array.from({ length: 6 }, () =>
      crypto.randomUUID(),
    );
    const classified = classifyRound(
      [done, cancelled, elsewhere, unassigned, missing, live].map((id) => assignment(id as string)),
      aliceLookup,
    );
    const result = withoutStaleAssignments(
      classified,
      [
        { id: done as string, state: 'completed', assigned_to: AGENT_ID },
        { id: cancelled as string, state: 'cancelled', assigned_to: AGENT_ID },
        { id: elsewhere as string, state: 'assigned', assigned_to: ALICE_ID },
        { id: unassigned as string, state: 'pending', assigned_to: null },
        { id: live as string, state: 'assigned', assigned_to: AGENT_ID },
      ],
      AGENT_ID,
    );
    expect(result.actionable.map((item) => item.message)).toEqual([
      expect.objectContaining({ type: 'task_assign', task_id: live }),
    ]);
    expect(result.informational).toEqual([
      `Dorothy [reviewer]: assigned task ${done}, which is already completed; nothing to do`,
      `Dorothy [reviewer]: assigned task ${cancelled}, which is already cancelled; nothing to do`,
      `Dorothy [reviewer]: assigned task ${elsewhere}, which is no longer assigned to you; nothing to do`,
      `Dorothy [reviewer]: assigned task ${unassigned}, which is no longer assigned to you; nothing to do`,
      `Dorothy [reviewer]: assigned task ${missing}, which no longer exists; nothing to do`,
    ]);
    expect(classified.actionable).toHaveLength(6);
  });
});
