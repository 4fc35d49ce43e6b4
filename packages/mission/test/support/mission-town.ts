import type { Agent, Task } from '@tinytown/core';
import { missionTaskBinding } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { type FakeGitHub, startFakeGitHub, useTestRedis } from '@tinytown/testkit';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createGitHubForge, type Forge } from '../../src/index.js';

/** A private redis-server and fake GitHub for the file; a fresh Town and scripted GitHub per test. */
export function useMissionTown(town = 'missions') {
  const redis = useTestRedis();
  let github: FakeGitHub | undefined;
  let current: Town | undefined;
  const extra: Town[] = [];
  beforeAll(async () => {
    github = await startFakeGitHub();
  });
  beforeEach(async () => {
    github?.reset();
    current = await Town.connect({ url: redis.current.url, town });
  });
  afterEach(async () => {
    await current?.close();
    for (const other of extra.splice(0)) await other.close();
  });
  afterAll(async () => {
    await github?.close();
  });
  return {
    get town(): Town {
      if (!current) throw new Error('town not ready');
      return current;
    },
    get github(): FakeGitHub {
      if (!github) throw new Error('fake GitHub not ready');
      return github;
    },
    get redis() {
      return redis.current;
    },
    get forge(): Forge {
      return createGitHubForge({ token: 'test-token', baseUrl: this.github.url });
    },
    /** Another connection to the same town (a second replica). */
    async connect(): Promise<Town> {
      const other = await Town.connect({ url: redis.current.url, town });
      extra.push(other);
      return other;
    },
  };
}

export type AgentAction = { complete: string } | { fail: string } | null;

export interface PlayedTask {
  agent: string;
  task: Task;
  kind: 'work' | 'review' | 'fix';
  workItemId: string;
}

/**
 * Agents played through the store, as a real agent runtime would act: take the assigned task, start it,
 * and complete (or fail) it with what the script says. `null` leaves the task open for now.
 */
export class ScriptedAgents {
  readonly agents = new Map<string, Agent>();
  readonly played: PlayedTask[] = [];

  constructor(
    private readonly town: Town,
    private readonly script: (played: PlayedTask) => AgentAction | Promise<AgentAction>,
  ) {}

  async add(name: string, role: string | null = null): Promise<Agent> {
    await this.town.agents.register({ name, cli: 'fake', role });
    await this.town.agents.transition(name, 'idle');
    const agent = await this.town.agents.resolve(name);
    this.agents.set(name, agent);
    return agent;
  }

  /** Every agent acts once on each of its open tasks; returns how many tasks ended. */
  async play(): Promise<number> {
    let ended = 0;
    for (const [name, agent] of this.agents) {
      await this.town.agents.heartbeat(agent.id).catch(() => undefined);
      await this.town.messages.takeRound(agent.id);
      await this.town.messages.settleRound(agent.id);
      const open = (await this.town.tasks.list({ agent: agent.id })).filter(
        (task) => task.state === 'assigned' || task.state === 'running',
      );
      for (const task of open) {
        const binding = missionTaskBinding(task.tags);
        if (!binding) continue;
        const played: PlayedTask = { agent: name, task, kind: binding.kind, workItemId: binding.workItemId };
        const action = await this.script(played);
        if (!action) continue;
        if (task.state === 'assigned') await this.town.tasks.start(task.id);
        if ('complete' in action) await this.town.tasks.complete(task.id, action.complete);
        else await this.town.tasks.fail(task.id, action.fail);
        this.played.push(played);
        ended += 1;
      }
    }
    return ended;
  }
}

/** A fake GitHub PR with green CI, mergeable. */
export function greenPr(github: FakeGitHub, repo: string, number: number, sha = `sha-${number}`): void {
  github.setPullRequest(repo, {
    number,
    head_sha: sha,
    author: 'worker',
    mergeable: true,
    mergeable_state: 'clean',
  });
  github.setCheckRuns(repo, sha, [
    { id: number * 10, name: 'ci', status: 'completed', conclusion: 'success' },
  ]);
}

export function redPr(github: FakeGitHub, repo: string, number: number, sha = `sha-${number}`): void {
  github.setPullRequest(repo, {
    number,
    head_sha: sha,
    author: 'worker',
    mergeable: true,
    mergeable_state: 'unstable',
  });
  github.setCheckRuns(repo, sha, [
    { id: number * 10, name: 'ci', status: 'completed', conclusion: 'failure' },
  ]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
