import type { MissionState } from '@tinytown/core';
import type { Town } from '@tinytown/store';

/** An active mission as `tt status` and the conductor's briefing show it. */
export interface ActiveMission {
  id: string;
  state: MissionState;
  done: number;
  total: number;
  blocked: number;
  /** What it waits on, when it says (a person, a stop, a dependency…). */
  blocked_reason: string | null;
}

/** The town's active missions, oldest first, with their work counts (two round trips in all). */
export async function activeMissions(town: Town): Promise<ActiveMission[]> {
  const missions = await town.missions.list({ activeOnly: true });
  const counts = await town.missions.workCounts(missions.map((mission) => mission.id));
  return missions.map((mission) => {
    const work = counts.get(mission.id);
    return {
      id: mission.id,
      state: mission.state,
      done: work?.done ?? 0,
      total: work?.total ?? 0,
      blocked: work?.blocked ?? 0,
      blocked_reason: mission.blocked_reason,
    };
  });
}

/** `running, 1/3 work items done, 1 blocked — Waiting on an operator: …` (the id is the caller's to show). */
export function describeMission(mission: ActiveMission): string {
  const waiting = mission.blocked_reason ? ` — ${mission.blocked_reason}` : '';
  return `${mission.state}, ${mission.done}/${mission.total} work items done, ${mission.blocked} blocked${waiting}`;
}
