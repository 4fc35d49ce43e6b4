import { DEFAULT_MISSION_POLICY, type MissionRun, newId, type WorkItem } from '@tinytown/core';
import type { Town } from '@tinytown/store';
import { Dispatcher, type DispatcherPassResult } from './dispatcher.js';

export interface MissionBenchSeed {
  /** Missions to create. */
  missions: number;
  /** Work items per mission. */
  items: number;
  /**
   * How many work items change in the next pass, over all missions: that many missions each get one
   * pending item whose dependency is done (promoted and assigned in the pass). Ignored when not `due`.
   */
  changes: number;
  /** Whether the missions are due now (running, polling a live task) or all asleep for an hour. */
  due: boolean;
}

/**
 * Seeds a town for the dispatcher benchmark: `missions` running missions of `items` work items each.
 * Due missions hold one live task each (what makes a running mission poll) and most items are done;
 * `changes` of them have one item ready to promote and assign. Not-due missions sleep for an hour.
 * Returns the mission ids. Run `missionBenchPass` to time one dispatcher pass over them.
 */
export async function seedMissionBench(town: Town, seed: MissionBenchSeed): Promise<string[]> {
  const now = new Date();
  const iso = now.toISOString();
  const holder = await town.agents.register({ name: `bench-holder-${newId().slice(0, 8)}`, cli: 'bench' });
  await town.agents.transition(holder.id, 'working');
  for (let n = 0; n < Math.max(1, seed.changes); n++) {
    const agent = await town.agents.register({ name: `bench-worker-${newId().slice(0, 8)}`, cli: 'bench' });
    await town.agents.transition(agent.id, 'idle');
  }
  const ids: string[] = [];
  for (let m = 0; m < seed.missions; m++) {
    const mission: MissionRun = {
      id: newId(),
      objective_refs: [{ type: 'doc', path: `docs/bench-${m}.md` }],
      state: 'running',
      policy: { ...DEFAULT_MISSION_POLICY, reviewer_required: false, max_parallel_items: 4 },
      created_at: iso,
      updated_at: iso,
      next_wake_at: null,
      blocked_reason: null,
      dispatcher_last_tick_at: null,
      dispatcher_last_progress_at: iso,
      dispatcher_last_help_request_at: null,
      dispatcher_last_help_request_reason: null,
      dispatcher_help_request_attempts: 0,
    };
    const changes = seed.due && m < seed.changes;
    const items: WorkItem[] = [];
    for (let i = 0; i < seed.items; i++) {
      const last = i === seed.items - 1;
      const held = i === seed.items - 2;
      items.push({
        id: newId(),
        mission_id: mission.id,
        title: `Bench item ${i}`,
        kind: 'implement',
        depends_on: last && changes ? [items[0]?.id ?? ''] : [],
        owner_role: null,
        status: last ? 'pending' : held ? 'assigned' : 'done',
        assigned_to: held ? holder.id : null,
        artifact_refs: [],
        reviewer_approved: false,
        source_ref: null,
        created_at: iso,
        updated_at: iso,
        seq: i,
        task_ids: [],
      });
    }
    // Without changes, the last item depends on the held one, so it stays pending.
    const lastItem = items[items.length - 1];
    const heldItem = items[items.length - 2];
    if (lastItem && heldItem && !changes) lastItem.depends_on = [heldItem.id];
    await town.missions.create(mission, items);
    const token = await town.missions.acquireLease(mission.id, 60_000);
    if (token === null) throw new Error(`bench: could not lease mission ${mission.id}`);
    await town.missions.commit(mission.id, token, {
      wakeAtMs: seed.due ? now.getTime() : now.getTime() + 3_600_000,
      createTasks:
        heldItem && seed.due
          ? [
              {
                id: newId(),
                description: `[Mission Work Item] ${heldItem.title}`,
                tags: [
                  'mission-work-item',
                  'mission-task:work',
                  `mission:${mission.id}`,
                  `work-item:${heldItem.id}`,
                ],
                assignTo: holder.id,
              },
            ]
          : [],
    });
    await town.missions.releaseLease(mission.id, token);
    ids.push(mission.id);
  }
  return ids;
}

/** One dispatcher pass over the town (no forge, no reaper), as the benchmark times it. */
export function missionBenchPass(town: Town): Promise<DispatcherPassResult> {
  return new Dispatcher({ town, forge: null, reap: false, concurrency: 8, batch: 100_000 }).pass();
}
