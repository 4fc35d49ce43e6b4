import { isTinytownError, type MissionNote, newId, type TownEvent } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { mission } from './mission-fixtures.js';
import { useTown } from './support.js';

const note = (missionId: string, body: string): MissionNote => ({
  id: newId(),
  mission_id: missionId,
  sender: 'conductor',
  body,
  created_at: new Date().toISOString(),
  processed_at: null,
});

describe('events of one mission', () => {
  const ctx = useTown('events');

  it('reads a mission’s activity from the town stream, newest first, past pages of other events', async () => {
    const { town } = ctx;
    const watched = mission();
    const other = mission();
    await town.missions.create(watched, [], ['watched: started']);
    await town.missions.create(other, [], ['other: started']);
    // More unrelated events than one page of the filtered read.
    await town.backlog.addMany(Array.from({ length: 450 }, (_, i) => ({ description: `noise ${i}` })));
    await town.missions.addNote(note(watched.id, 'pause'), 'watched: noted');

    const events = await town.events.recent({ mission: watched.id, limit: 5 });
    expect(events.map((event) => event.message)).toEqual(['watched: noted', 'watched: started']);
    expect(events.every((event) => event.mission_id === watched.id)).toBe(true);
    expect(await town.events.recent({ mission: watched.id, limit: 1 })).toHaveLength(1);
    expect((await town.events.recent({ limit: 3 })).map((event) => event.event_type)).toEqual([
      'mission_event',
      'task_created',
      'task_created',
    ]);
  });

  it('follows only that mission', async () => {
    const { town } = ctx;
    const watched = mission();
    const other = mission();
    await town.missions.create(watched, []);
    await town.missions.create(other, []);
    const controller = new AbortController();
    const seen: TownEvent[] = [];
    const following = (async () => {
      for await (const event of town.events.follow({
        mission: watched.id,
        signal: controller.signal,
        blockMs: 50,
      })) {
        seen.push(event);
        if (seen.length === 2) controller.abort();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const leave = (missionId: string, text: string) => town.missions.addNote(note(missionId, text), text);
    await leave(other.id, 'other one');
    await town.backlog.add('noise');
    await leave(watched.id, 'first');
    await leave(other.id, 'other two');
    await leave(watched.id, 'second');
    await following;
    expect(seen.map((event) => event.message)).toEqual(['first', 'second']);
  });

  it('refuses a mission and an agent together, and a mission id that is no UUID', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'solo', cli: 'claude' });
    const both = await town.events.recent({ agent: 'solo', mission: mission().id }).catch((e: unknown) => e);
    expect(isTinytownError(both, 'INVALID_INPUT')).toBe(true);
    const bad = await town.events.recent({ mission: 'not-an-id' }).catch((e: unknown) => e);
    expect(isTinytownError(bad, 'INVALID_ID')).toBe(true);
  });

  it('refuses a limit that is not a whole number of at least 1, as INVALID_INPUT', async () => {
    const { town } = ctx;
    await town.agents.register({ name: 'reader', cli: 'claude' });
    await town.messages.send({ to: 'reader', text: 'one' });
    await town.messages.send({ to: 'reader', text: 'two' });
    const reads = [
      (limit: number) => town.events.recent({ limit }),
      (limit: number) => town.messages.peek('reader', limit),
      (limit: number) => town.messages.history(limit),
      (limit: number) => town.agents.activity('reader', limit),
    ];
    for (const read of reads) {
      for (const limit of [0, -1, 2.5, Number.NaN]) {
        await expect(read(limit)).rejects.toMatchObject({
          code: 'INVALID_INPUT',
          details: { field: 'limit' },
        });
      }
    }
    expect(await town.events.recent({ limit: 1 })).toHaveLength(1);
    expect((await town.messages.peek('reader', 1)).messages).toHaveLength(1);
    expect(await town.messages.history(1)).toHaveLength(1);
  });
});
