import { type Agent, agentShortId, displayLabel, displayName } from './agent.js';
import { agentNotFound, TinytownError } from './errors.js';
import { isUuid } from './ids.js';

type Candidate = Pick<Agent, 'id' | 'name' | 'nickname' | 'role_id'>;

/**
 * Finds the one agent a person meant: a UUID, the name, the nickname, the `Nickname [role]` label or the
 * four-character short id, compared case-insensitively. An exact name match wins over the looser forms,
 * since names are unique; more than one loose match is an error listing the candidates.
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
  if (matches.length === 0) throw agentNotFound(ref);
  const candidates = matches.map((agent) => `${displayLabel(agent)} (${agentShortId(agent)})`);
  throw new TinytownError(
    'AMBIGUOUS_REF',
    `Agent reference '${ref}' is ambiguous: ${candidates.join(', ')}`,
    { ref, candidates: matches.map((agent) => agent.name) },
  );
}
