/**
 * A count and its noun in the right number: `1 round`, `3 rounds`, `1 backlog entry`, `2 backlog entries`.
 * Every package that writes counts for people (the CLI, the runtime's logs and prompts, the mission
 * engine's blocked reasons) says them the same way.
 */
export function plural(count: number, singular: string, many = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : many}`;
}
