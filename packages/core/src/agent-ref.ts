import { type Agent, agentShortId, displayLabel, displayName } from './agent.js';
import { agentNotFound, TinytownError } from './errors.js';
import { isUuid } from './ids.js';

type Candidate = Pick<Agent, 'id' | 'name' | 'nickname' | 'role_id'>;

/**
 * Finds the one agent a person meant: a UUID, the name, the nickname, the `Nickname [role]` label or the
 * four-character short id, compared case-insensitively. An exact name match wins over the looser forms,
 * since names are unique; more than one loose match is an error listing the candidates. A reference that
 * matches nothing is AGENT_NOT_FOUND with the names it is close to ({@link closeAgentNames}).
 */
export function matchAgentRef<A extends Candidate>(ref: string, agents: readonly A[]): A {
  const wanted = ref.trim().toLowerCase();
  if (wanted === '') throw agentNotFound(ref);
  if (isUuid(wanted)) {
    const byId = agents.find((agent) => agent.id === wanted);
    if (byId) return byId;
    throw agentNotFound(ref);
  }
  const byName = agents.find((agent) => agent.name.toLowerCase() === wanted);
  if (byName) return byName;
  const matches = agents.filter(
    (agent) =>
      displayName(agent).toLowerCase() === wanted ||
      displayLabel(agent).toLowerCase() === wanted ||
      agentShortId(agent) === wanted,
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw agentNotFound(ref, closeAgentNames(wanted, agents));
  const candidates = matches.map((agent) => `${displayLabel(agent)} (${agentShortId(agent)})`);
  throw new TinytownError(
    'AMBIGUOUS_REF',
    `Agent reference '${ref}' is ambiguous: ${candidates.join(', ')}`,
    { ref, candidates: matches.map((agent) => agent.name) },
  );
}

const MAX_SUGGESTIONS = 3;
/** The shortest reference or name a prefix match counts for: one or two letters start too many names. */
const MIN_PREFIX = 3;

/**
 * The names of the agents a reference that matched none of them was probably meant for, closest first
 * (at most three). An agent is close when, compared case-insensitively with its name or nickname, one of
 * the two starts with the other (the shorter at least three characters long: `back` for `backend`), or
 * they are at most two edits apart — an insertion, deletion, substitution or swap of neighbours each —
 * and fewer than half of the reference's characters (`backnd` for `backend`; `ab` is not close to `xy`).
 */
function closeAgentNames(ref: string, agents: readonly Pick<Candidate, 'name' | 'nickname'>[]): string[] {
  const wanted = ref.trim().toLowerCase();
  const close: { name: string; distance: number }[] = [];
  for (const agent of agents) {
    const forms = [agent.name, agent.nickname].filter((form): form is string => !!form);
    const distance = Math.min(...forms.map((form) => closeness(wanted, form.toLowerCase())));
    if (Number.isFinite(distance)) close.push({ name: agent.name, distance });
  }
  return close
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, MAX_SUGGESTIONS)
    .map((candidate) => candidate.name);
}

/** How far `form` is from `wanted` (a prefix either way counts as one edit), or Infinity when not close. */
function closeness(wanted: string, form: string): number {
  const [shorter, longer] = wanted.length <= form.length ? [wanted, form] : [form, wanted];
  if (shorter.length >= MIN_PREFIX && longer.startsWith(shorter)) return 1;
  const distance = editDistance(wanted, form);
  return distance <= 2 && distance * 2 < wanted.length ? distance : Number.POSITIVE_INFINITY;
}

/** Optimal string alignment distance: Levenshtein, plus a swap of two neighbouring characters as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
