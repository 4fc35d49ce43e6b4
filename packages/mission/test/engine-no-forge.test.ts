import { isTinytownError } from '@tinytown/core';
import { dumpKeys } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';
import { Dispatcher, MissionService } from '../src/index.js';
import { ScriptedAgents, useMissionTown } from './support/mission-town.js';

const NEEDS_FORGE =
  'needs a forge, and none was given: pass the `forge` option (createGitHubForge({ token }) for GitHub)';

describe('missions without a forge', () => {
  const ctx = useMissionTown('noforge');

  it('a mission of design docs starts, is handed out and completes with no forge anywhere', async () => {
    const service = new MissionService({ town: ctx.town, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [{ type: 'doc', path: 'README.md' }],
      policy: { reviewer_required: false },
    });
    expect(work_items.map((item) => item.kind)).toEqual(['design']);
    const agents = new ScriptedAgents(ctx.town, () => ({ complete: 'Design written up in the doc' }));
    const architect = await agents.add('architect');
    const dispatcher = new Dispatcher({ town: ctx.town, pollMs: 0 });

    const first = await dispatcher.pass();
    expect(first.failed).toBe(0);
    expect(first.ticked[0]?.assigned).toEqual([[work_items[0]?.id, architect.id]]);
    expect(await agents.play()).toBe(1);
    const second = await dispatcher.pass();
    expect(second.failed).toBe(0);
    expect((await service.get(mission.id)).mission.state).toBe('completed');

    // A dispatcher for this mission alone still ticks it on every pass, and leaves its record as it ended.
    const ended = await ctx.town.missions.get(mission.id);
    const follower = new Dispatcher({ town: ctx.town, mission: mission.id });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await follower.pass()).ticked.map((tick) => tick.state)).toEqual(['completed']);
    expect(await ctx.town.missions.get(mission.id)).toEqual(ended);
  });

  it('a dispatcher for one mission refuses an id that is no UUID when built, not on every pass', async () => {
    const service = new MissionService({ town: ctx.town, townRoot: process.cwd() });
    const { mission } = await service.start({ objectives: [{ type: 'doc', path: 'README.md' }] });
    expect(() => new Dispatcher({ town: ctx.town, mission: mission.id.slice(0, 8) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ID', details: expect.objectContaining({ field: 'mission' }) }),
    );
    const pass = await new Dispatcher({ town: ctx.town, mission: mission.id.toUpperCase() }).pass();
    expect(pass.ticked.map((tick) => tick.missionId)).toEqual([mission.id]);
  });

  it('an issue objective without a forge is refused, saying what to pass, and nothing is written', async () => {
    const service = new MissionService({ town: ctx.town, forge: null, townRoot: process.cwd() });
    // A town with something in it, so "nothing written" compares more than two empty dumps.
    await service.start({ objectives: [{ type: 'doc', path: 'README.md' }] });
    const before = await dumpKeys(ctx.redis.client);

    const error = await service
      .start({
        objectives: [
          { type: 'doc', path: 'README.md' },
          { type: 'issue', owner: 'acme', repo: 'app', number: 1 },
          { type: 'issue', owner: 'acme', repo: 'app', number: 2 },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTinytownError(error, 'CONFIG_INVALID')).toBe(true);
    expect(isTinytownError(error) && error.category).toBe('invalid');
    expect(error instanceof Error && error.message).toBe(
      `reading issues acme/app#1, acme/app#2 ${NEEDS_FORGE}`,
    );
    expect(isTinytownError(error) && error.details).toEqual({ field: 'forge' });
    expect(await dumpKeys(ctx.redis.client)).toEqual(before);
  });

  it("a dispatcher without a forge fails a PR watch's check with what to pass, and backs off", async () => {
    const service = new MissionService({ town: ctx.town, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [{ type: 'doc', path: 'README.md' }],
      policy: { reviewer_required: false, watch_interval_secs: 60 },
    });
    const item = work_items[0] ?? (undefined as never);
    await service.updateWorkItem(mission.id, item.id, {
      status: 'done',
      artifacts: ['https://github.com/acme/app/pull/7'],
    });
    // Past the watches' first due time (now, when the PR was recorded), on a clock that stands still.
    const now = new Date(Date.now() + 1_000);
    const dispatcher = new Dispatcher({ town: ctx.town, pollMs: 0, now: () => now });

    const pass = await dispatcher.pass();
    const checks = pass.ticked[0]?.watchChecks ?? [];
    expect(checks.map((check) => check.kind).sort()).toEqual([
      'bugbot_comments',
      'mergeability',
      'pr_checks',
      'review_comments',
    ]);
    for (const check of checks) {
      expect(check).toMatchObject({
        result: 'error',
        error: `checking watch ${check.kind} on acme/app#7 ${NEEDS_FORGE}`,
      });
    }
    // Backed off like any failed check, rather than due again on every pass.
    for (const watch of await service.listWatches(mission.id)) {
      expect(watch).toMatchObject({
        consecutive_failures: 1,
        last_error: expect.stringContaining(NEEDS_FORGE),
      });
      expect(Date.parse(watch.next_due_at) - now.getTime()).toBe(60_000);
    }
    // The mission itself waits for them: the next pass does not even tick it.
    expect((await dispatcher.pass()).ticked).toEqual([]);
  });
});
