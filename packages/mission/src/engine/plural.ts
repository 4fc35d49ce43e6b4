/** A count and its noun in the right number, for the mission's log lines: `1 watch`, `2 watches`. */
export function plural(count: number, singular: string, many = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : many}`;
}
