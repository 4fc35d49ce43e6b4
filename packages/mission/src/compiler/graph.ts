import { TinytownError } from '@tinytown/core';

export interface GraphNode {
  key: string;
  /** How the node is named in errors: `owner/repo#3 "Add login"`. */
  label: string;
  dependsOn: readonly string[];
}

/**
 * One dependency cycle as a path that returns to its start, or `null` when the graph is acyclic.
 * Only the nodes on the cycle are named, not everything downstream of it, so the error points at what
 * a person has to edit.
 */
export function findCycle(nodes: readonly GraphNode[]): string[] | null {
  const byKey = new Map(nodes.map((node) => [node.key, node]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];

  const visit = (key: string): string[] | null => {
    state.set(key, 'visiting');
    path.push(key);
    for (const next of byKey.get(key)?.dependsOn ?? []) {
      if (!byKey.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'visiting') return [...path.slice(path.indexOf(next)), next];
      if (seen === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(key, 'done');
    return null;
  };

  for (const node of nodes) {
    if (state.has(node.key)) continue;
    const cycle = visit(node.key);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Dependencies before dependents; among nodes that are free at the same time the input order is kept, so
 * the same objectives always compile to the same order. Throws DEPENDENCY_CYCLE naming the cycle.
 */
export function topologicalOrder<N extends GraphNode>(nodes: readonly N[]): N[] {
  const cycle = findCycle(nodes);
  if (cycle) {
    const labels = new Map(nodes.map((node) => [node.key, node.label]));
    const named = cycle.map((key) => labels.get(key) ?? key);
    throw new TinytownError('DEPENDENCY_CYCLE', `dependency cycle: ${named.join(' -> ')}`, {
      cycle: named.slice(0, -1),
    });
  }
  const done = new Set<string>();
  const known = new Set(nodes.map((node) => node.key));
  const ordered: N[] = [];
  let remaining = [...nodes];
  while (remaining.length > 0) {
    const free = remaining.filter((node) => node.dependsOn.every((dep) => !known.has(dep) || done.has(dep)));
    for (const node of free) {
      ordered.push(node);
      done.add(node.key);
    }
    remaining = remaining.filter((node) => !done.has(node.key));
  }
  return ordered;
}
