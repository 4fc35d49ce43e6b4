import { relative, resolve, sep } from 'node:path';
import {
  newId,
  type ObjectiveRef,
  objectiveLabel,
  TinytownError,
  WorkItem,
  type WorkKind,
} from '@tinytown/core';
import type { Forge, ForgeIssue } from '../forge/forge.js';
import { formatRef, refKey } from '../forge/pr-ref.js';
import { requireForge } from '../forge/require-forge.js';
import { parseDependencies } from './dependencies.js';
import { readDocObjective } from './doc.js';
import { type GraphNode, topologicalOrder } from './graph.js';
import { inferKind, inferOwnerRole } from './infer.js';

export interface CompileMissionInput {
  missionId: string;
  objectives: readonly ObjectiveRef[];
  /** Read for issue objectives only: a mission of docs needs none. */
  forge?: Forge | null;
  /** Doc objectives are read from inside this directory only. */
  townRoot: string;
  now?: Date;
  /** Id source; tests pass a counter to get stable ids. */
  newId?: () => string;
}

interface PlannedItem extends GraphNode {
  title: string;
  kind: WorkKind;
  ownerRole: string | null;
  sourceRef: string;
}

/**
 * What makes two objectives the same: an issue in any case (`Acme/App#1` is `acme/app#1`), a doc by its
 * path inside the town root (`./docs/a.md` is `docs/a.md`).
 */
function objectiveKey(objective: ObjectiveRef, townRoot: string): string {
  if (objective.type === 'issue') return refKey(objective);
  const root = resolve(townRoot);
  return `doc:${relative(root, resolve(root, objective.path)).split(sep).join('/')}`;
}

/** Each objective once, in the order first given. */
export function uniqueObjectives(objectives: readonly ObjectiveRef[], townRoot: string): ObjectiveRef[] {
  const unique = new Map<string, ObjectiveRef>();
  for (const objective of objectives) {
    const key = objectiveKey(objective, townRoot);
    if (!unique.has(key)) unique.set(key, objective);
  }
  return [...unique.values()];
}

/** Issues are fetched a few at a time: enough to be quick, few enough to stay clear of GitHub's abuse limits. */
const FETCH_CONCURRENCY = 4;

async function fetchIssues(
  source: Forge | null | undefined,
  objectives: readonly ObjectiveRef[],
): Promise<Map<string, ForgeIssue>> {
  const issues = objectives.filter((objective) => objective.type === 'issue');
  const fetched = new Map<string, ForgeIssue>();
  if (issues.length === 0) return fetched;
  const forge = requireForge(
    source,
    `reading issue${issues.length === 1 ? '' : 's'} ${issues.map(objectiveLabel).join(', ')}`,
  );
  let next = 0;
  const worker = async () => {
    while (next < issues.length) {
      const objective = issues[next++];
      if (!objective) continue;
      const issue = await forge.getIssue(objective);
      fetched.set(refKey(objective), issue);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, issues.length) }, worker));
  return fetched;
}

async function planObjective(
  objective: ObjectiveRef,
  issues: ReadonlyMap<string, ForgeIssue>,
  townRoot: string,
): Promise<PlannedItem> {
  if (objective.type === 'doc') {
    const doc = await readDocObjective(townRoot, objective.path);
    return {
      key: `doc:${doc.path}`,
      label: `${doc.path} "${doc.title}"`,
      dependsOn: [],
      title: doc.title,
      kind: 'design',
      ownerRole: null,
      sourceRef: doc.path,
    };
  }
  const issue = issues.get(refKey(objective));
  if (!issue) throw new Error(`issue ${objectiveLabel(objective)} was not fetched`);
  const ref = formatRef(objective);
  const title = issue.title.trim() || ref;
  const kind = inferKind(issue);
  return {
    key: refKey(objective),
    label: `${ref} "${title}"`,
    dependsOn: parseDependencies(issue.body, objective).map(refKey),
    title,
    kind,
    ownerRole: inferOwnerRole(issue, kind),
    sourceRef: ref,
  };
}

/**
 * Turns a mission's objectives into its work graph: one item per issue (dependencies read from the issue
 * body) and one design item per doc. Reads the forge and the town's files, writes nothing: the caller
 * stores the items only if this returns, so a bad objective never leaves a half-built mission behind.
 *
 * Throws OBJECTIVE_INVALID for a doc outside the town root or a dependency on an issue that is not an
 * objective, DEPENDENCY_CYCLE for a cycle, FORGE_ERROR when an issue cannot be fetched, CONFIG_INVALID for
 * an issue objective without a forge.
 */
export async function compileMission(input: CompileMissionInput): Promise<WorkItem[]> {
  const makeId = input.newId ?? newId;
  const timestamp = (input.now ?? new Date()).toISOString();

  const objectives = uniqueObjectives(input.objectives, input.townRoot);
  if (objectives.length === 0) {
    throw new TinytownError('OBJECTIVE_INVALID', 'a mission needs at least one objective', {});
  }

  const issues = await fetchIssues(input.forge, objectives);
  const planned: PlannedItem[] = [];
  for (const objective of objectives) {
    const item = await planObjective(objective, issues, input.townRoot);
    // The key above is lexical: an absolute path through a symlinked town root is known to name the
    // same doc only once read.
    if (!planned.some((existing) => existing.key === item.key)) planned.push(item);
  }

  const byKey = new Map(planned.map((item) => [item.key, item]));
  for (const item of planned) {
    const missing = item.dependsOn.filter((dep) => !byKey.has(dep));
    if (missing.length > 0) {
      throw new TinytownError(
        'OBJECTIVE_INVALID',
        `${item.label} depends on ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not an objective of this mission; add ${missing.length === 1 ? 'it' : 'them'} as objectives`,
        { objective: item.sourceRef, missing },
      );
    }
  }

  const ordered = topologicalOrder(planned);
  const ids = new Map(ordered.map((item) => [item.key, makeId()]));
  const idOf = (key: string) => {
    const id = ids.get(key);
    if (!id) throw new Error(`no id for ${key}`);
    return id;
  };

  return ordered.map((item) =>
    WorkItem.parse({
      id: idOf(item.key),
      mission_id: input.missionId,
      title: item.title,
      kind: item.kind,
      depends_on: item.dependsOn.map(idOf),
      owner_role: item.ownerRole,
      status: 'pending',
      assigned_to: null,
      artifact_refs: [],
      reviewer_approved: false,
      source_ref: item.sourceRef,
      created_at: timestamp,
      updated_at: timestamp,
    }),
  );
}
