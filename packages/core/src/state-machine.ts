import { TinytownError } from './errors.js';

/** A state machine as data: for each state, the states it may move to. */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(machine: Transitions<S>, from: S, to: S): boolean {
  return machine[from].includes(to);
}

/** The states from which `to` can be reached: what an atomic script must check before writing. */
export function statesLeadingTo<S extends string>(machine: Transitions<S>, to: S): S[] {
  return (Object.keys(machine) as S[]).filter((from) => machine[from].includes(to));
}

export function assertTransition<S extends string>(
  machine: Transitions<S>,
  entity: string,
  from: S,
  to: S,
): void {
  if (!canTransition(machine, from, to)) {
    throw new TinytownError('INVALID_TRANSITION', `${entity} cannot move from ${from} to ${to}`, {
      from,
      to,
    });
  }
}
