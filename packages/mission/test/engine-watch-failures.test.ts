import { missionTaskBinding } from '@tinytown/core';
import { describe, expect, it } from 'vitest';
import { Dispatcher, MissionService } from '../src/index.js';
import { greenPr, ScriptedAgents, useMissionTown } from './support/mission-town.js';

const REPO = 'acme/app';

describe('watch failures and comments', () => {
  const ctx = useMissionTown('watchfail');

  async function submitted(policy: Record<string, unknown> = {}) {
    ctx.github.setIssue(REPO, { number: 1, title: 'Implement login' });
    const service = new MissionService({ town: ctx.town, forge: ctx.forge, townRoot: process.cwd() });
    const { mission, work_items } = await service.start({
      objectives: [{ type: 'issue', owner: 'acme', repo: 'app', number: 1 }],
      policy: { reviewer_required: false, watch_interval_secs: 60, ...policy },
    });
    const agents = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'work' ? { complete: `PR: ${REPO}#7` } : null,
    );
    await agents.add('backend-1', 'backend');
    let now = Date.now();
    const time = {
      now: () => new Date(now),
      advance: (ms: number) => {
        now += ms;
      },
    };
    const dispatcher = new Dispatcher({ town: ctx.town, forge: ctx.forge, pollMs: 0, now: time.now });
    await dispatcher.pass();
    await agents.play();
    return { service, mission, item: work_items[0] ?? (undefined as never), dispatcher, time, agents };
  }

  it('failed checks back off 60/120/300 s and escalate once, at the fifth failure in a row', async () => {
    ctx.github.failRequests('GET', /\/pulls\/7$/, { status: 502, message: 'bad gateway' });
    const { service, mission, item, dispatcher, time } = await submitted();
    const waits: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      await dispatcher.pass();
      const watch = (await service.listWatches(mission.id)).find((w) => w.kind === 'pr_checks');
      expect(watch?.consecutive_failures).toBe(failure);
      const wait = Date.parse(watch?.next_due_at ?? '') - time.now().getTime();
      waits.push(Math.round(wait / 1000));
      time.advance(wait);
    }
    expect(waits).toEqual([60, 120, 300, 300, 300, 300]);
    expect((await service.getWorkItem(mission.id, item.id)).status).toBe('blocked');
    const inbox = await ctx.town.messages.peek('conductor');
    const help = inbox.messages.filter((m) => m.type === 'query' && m.question.includes('keep failing'));
    expect(help).toHaveLength(1);
    // Its text names nothing that changes from one failure to the next, so later passes do not re-ask.
    expect(help[0]?.type === 'query' && help[0].question).toContain(
      `(work item ${item.id}): checks of acme/app#7 keep failing; 'tt mission status ${mission.id.slice(0, 8)} --watches' shows each watch's last error`,
    );
    expect(
      (await service.events(mission.id, { limit: 100 })).filter((l) => l.includes('times in a row')),
    ).toHaveLength(4);
  });

  it('a bot comment yields one fix task however often it is polled', async () => {
    greenPr(ctx.github, REPO, 7);
    ctx.github.setIssueComments(REPO, 7, [
      { id: 501, author: 'cursor-bugbot', body: 'Possible null dereference' },
    ]);
    const { dispatcher, time } = await submitted();
    for (let poll = 0; poll < 6; poll++) {
      await dispatcher.pass();
      time.advance(200_000);
    }
    const fixes = (await ctx.town.tasks.list()).filter((t) => missionTaskBinding(t.tags)?.kind === 'fix');
    expect(fixes).toHaveLength(1);
    expect(fixes[0]?.description).toContain('null dereference');
    expect(fixes[0]?.tags.some((tag) => tag.startsWith('watch:'))).toBe(true);
  });

  it('a failed fix task blocks the item and asks the conductor, instead of restarting the work', async () => {
    greenPr(ctx.github, REPO, 7);
    ctx.github.setIssueComments(REPO, 7, [{ id: 502, author: 'cursor-bugbot', body: 'Leaks a file handle' }]);
    const { service, mission, item, dispatcher, agents } = await submitted();
    await dispatcher.pass(); // the bot comment makes a fix task
    await dispatcher.pass(); // the item follows its fix task
    expect((await service.getWorkItem(mission.id, item.id)).status).toBe('assigned');
    const failing = new ScriptedAgents(ctx.town, ({ kind }) =>
      kind === 'fix' ? { fail: 'cannot reproduce' } : null,
    );
    const backend = agents.agents.get('backend-1');
    if (backend) failing.agents.set('backend-1', backend);
    await failing.play();
    await dispatcher.pass();
    const current = await service.getWorkItem(mission.id, item.id);
    expect(current.status).toBe('blocked');
    expect(current.task_ids).toHaveLength(2);
    const inbox = await ctx.town.messages.peek('conductor');
    expect(inbox.messages.some((m) => m.type === 'query' && m.question.includes('fix task'))).toBe(true);
  });
});
