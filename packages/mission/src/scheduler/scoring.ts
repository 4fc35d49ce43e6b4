import type { WorkItem, WorkKind } from '@tinytown/core';

/** The kind of work an agent is good at, from its role or, failing that, its name. */
export type Lane =
  | 'backend'
  | 'frontend'
  | 'devops'
  | 'tester'
  | 'reviewer'
  | 'runner'
  | 'researcher'
  | 'generalist';

export interface CandidateAgent {
  id: string;
  name: string;
  role_id: string | null;
  /** Work items this agent already holds (or was given earlier in the same tick). */
  load: number;
}

export interface AgentScore {
  agent: CandidateAgent;
  lane: Lane;
  base: number;
  penalty: number;
  total: number;
}

export type ScoredItem = Pick<WorkItem, 'kind' | 'owner_role'>;

/** Each item already held costs this much, so work spreads over equally good agents. */
export const LOAD_PENALTY = 30;

const ROLE_LANES: Readonly<Record<string, Lane>> = {
  backend: 'backend',
  frontend: 'frontend',
  tester: 'tester',
  test: 'tester',
  reviewer: 'reviewer',
  review: 'reviewer',
  audit: 'reviewer',
  devops: 'devops',
  infra: 'devops',
  runner: 'runner',
  researcher: 'researcher',
  default: 'generalist',
  worker: 'generalist',
};

/**
 * Name words per lane, matched against whole words of the name ("backend-2" -> backend), never
 * substrings: "specialist" contains "ci" but is no CI runner, "guide" contains "ui".
 */
const NAME_LANES: readonly [Lane, readonly string[]][] = [
  ['reviewer', ['review', 'reviewer', 'audit', 'auditor']],
  ['tester', ['test', 'tester', 'tests', 'testing', 'qa']],
  ['backend', ['backend', 'api', 'server']],
  ['frontend', ['frontend', 'ui', 'web', 'client']],
  ['devops', ['devops', 'infra', 'deploy', 'deployer', 'ops']],
  ['runner', ['runner', 'ci']],
  ['researcher', ['research', 'researcher', 'explore', 'explorer']],
];

const ROLE_ALIASES: Readonly<Record<string, string>> = {
  test: 'tester',
  review: 'reviewer',
  audit: 'reviewer',
  infra: 'devops',
};

/** Role names people use interchangeably, reduced to one spelling. */
export function normalizeRole(role: string): string {
  const lower = role.trim().toLowerCase();
  return ROLE_ALIASES[lower] ?? lower;
}

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word.length > 0);
}

export function laneOf(agent: Pick<CandidateAgent, 'name' | 'role_id'>): Lane {
  const role = agent.role_id?.trim().toLowerCase();
  const byRole = role ? ROLE_LANES[role] : undefined;
  if (byRole) return byRole;
  const words = new Set(nameWords(agent.name));
  return NAME_LANES.find(([, keywords]) => keywords.some((word) => words.has(word)))?.[0] ?? 'generalist';
}

/** Whether the agent is the kind of agent an item's `owner_role` asks for. */
export function agentMatchesRole(
  agent: Pick<CandidateAgent, 'name' | 'role_id'>,
  ownerRole: string,
): boolean {
  const wanted = normalizeRole(ownerRole);
  if (agent.role_id) return normalizeRole(agent.role_id) === wanted;
  const lane = laneOf(agent);
  if (lane === wanted) return true;
  return nameWords(agent.name).includes(wanted);
}

const KIND_SCORES: Readonly<Record<WorkKind, Readonly<Record<Lane, number>>>> = {
  implement: {
    backend: 60,
    frontend: 60,
    devops: 60,
    generalist: 60,
    researcher: 35,
    runner: 35,
    tester: 5,
    reviewer: 0,
  },
  test: {
    backend: 45,
    frontend: 45,
    devops: 45,
    generalist: 45,
    researcher: 30,
    runner: 30,
    tester: 85,
    reviewer: 10,
  },
  review: {
    backend: 5,
    frontend: 5,
    devops: 5,
    generalist: 20,
    researcher: 35,
    runner: 5,
    tester: 5,
    reviewer: 100,
  },
  design: {
    backend: 55,
    frontend: 55,
    devops: 55,
    generalist: 55,
    researcher: 75,
    runner: 20,
    tester: 10,
    reviewer: 30,
  },
  merge_gate: {
    backend: 35,
    frontend: 35,
    devops: 35,
    generalist: 35,
    researcher: 20,
    runner: 80,
    tester: 10,
    reviewer: 50,
  },
  followup: {
    backend: 50,
    frontend: 50,
    devops: 50,
    generalist: 50,
    researcher: 50,
    runner: 35,
    tester: 20,
    reviewer: 10,
  },
};

/** What an agent of another lane scores for work whose owner role it does not match. */
function mismatchScore(role: string, kind: WorkKind, lane: Lane): number | null {
  if (role === 'backend' || role === 'frontend' || role === 'devops') {
    const table: Record<Lane, number> = {
      generalist: 55,
      backend: 35,
      frontend: 35,
      devops: 35,
      researcher: 20,
      runner: 20,
      tester: kind === 'implement' ? 5 : 15,
      reviewer: 0,
    };
    return table[lane];
  }
  if (role === 'tester') {
    const table: Record<Lane, number> = {
      generalist: 45,
      backend: 30,
      frontend: 30,
      devops: 30,
      researcher: 20,
      runner: 20,
      tester: 100,
      reviewer: 5,
    };
    return table[lane];
  }
  if (role === 'reviewer') {
    const table: Record<Lane, number> = {
      generalist: 10,
      backend: 0,
      frontend: 0,
      devops: 0,
      researcher: 20,
      runner: 0,
      tester: 0,
      reviewer: 100,
    };
    return table[lane];
  }
  return null;
}

/** How suitable an agent is for an item before load is considered; 0 means "never give it this". */
export function baseScore(item: ScoredItem, agent: Pick<CandidateAgent, 'name' | 'role_id'>): number {
  const lane = laneOf(agent);
  // Reviewers outrank everyone on review work, whatever area the review belongs to.
  if (item.kind === 'review' && lane === 'reviewer') return 120;
  if (item.owner_role) {
    if (agentMatchesRole(agent, item.owner_role)) return 100;
    const mismatch = mismatchScore(normalizeRole(item.owner_role), item.kind, lane);
    if (mismatch !== null) return mismatch;
  }
  return KIND_SCORES[item.kind][lane];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every candidate with its score, best first. Ties are broken by name, then id, so the same agents give
 * the same order however the caller happened to list them.
 */
export function scoreAgents(item: ScoredItem, agents: readonly CandidateAgent[]): AgentScore[] {
  return agents
    .map((agent) => {
      const base = baseScore(item, agent);
      const penalty = LOAD_PENALTY * Math.max(0, agent.load);
      return { agent, lane: laneOf(agent), base, penalty, total: base - penalty };
    })
    .sort(
      (a, b) =>
        b.total - a.total || compareText(a.agent.name, b.agent.name) || compareText(a.agent.id, b.agent.id),
    );
}

/** The best agent for the item, or `null` when nobody scores above 0 (better to wait than misroute). */
export function chooseAgent(item: ScoredItem, agents: readonly CandidateAgent[]): AgentScore | null {
  const best = scoreAgents(item, agents)[0];
  return best && best.total > 0 && best.base > 0 ? best : null;
}
