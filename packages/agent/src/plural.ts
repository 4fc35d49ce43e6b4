/**
 * A count and its noun in the right number: `1 round`, `3 rounds`, `1 backlog entry`, `2 backlog entries`.
 * The CLI has the same helper; the runtime cannot import from an app, and its log and prompt lines need it.
 */
export function plural(count: number, singular: string, many = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : many}`;
}
