import type { Row, Scenario } from './scenario.js';

/** Formats the rows as a plain-text table with a verdict per row; misses are reported, never fatal. */

export type Verdict = 'pass' | 'MISS' | 'info';

export function ratioOf(row: Row): number {
  return row.value / row.anchorValue;
}

export function verdictOf(row: Row): Verdict {
  if (row.target === null) return 'info';
  const ratio = ratioOf(row);
  if (!Number.isFinite(ratio)) return 'MISS';
  return (row.better === 'lower' ? ratio <= row.target : ratio >= row.target) ? 'pass' : 'MISS';
}

function formatValue(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === '/s') return `${Math.round(value).toLocaleString('en-US')}/s`;
  return `${value.toFixed(value < 100 ? 1 : 0)} ${unit}`;
}

function formatTarget(row: Row): string {
  if (row.target === null) return '—';
  return `${row.better === 'lower' ? '≤' : '≥'} ${row.target.toFixed(2)}×`;
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const render = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(render)].join(
    '\n',
  );
}

export function renderReport(rows: readonly Row[], pending: readonly Scenario[]): string {
  const header = ['scenario', 'figure', 'value', 'anchor', 'anchor value', 'ratio', 'target', 'result'];
  const lines = rows.map((row) => [
    row.scenario,
    row.figure,
    formatValue(row.value, row.unit),
    row.anchor,
    formatValue(row.anchorValue, row.unit),
    `${ratioOf(row).toFixed(2)}×`,
    formatTarget(row),
    verdictOf(row),
  ]);
  for (const scenario of pending) {
    lines.push([scenario.name, scenario.title, '—', '—', '—', '—', '—', 'pending']);
  }
  const notes = rows
    .filter((row) => row.note !== undefined)
    .map((row) => `  * ${row.scenario} / ${row.figure}: ${row.note}`)
    .concat(pending.map((scenario) => `  * ${scenario.name}: pending — ${scenario.pending}`));
  const missed = rows.filter((row) => verdictOf(row) === 'MISS').length;
  const targeted = rows.filter((row) => row.target !== null).length;
  const summary =
    targeted === 0
      ? 'No targeted figures in this run.'
      : missed === 0
        ? `All ${targeted} targeted figures met their targets.`
        : `${missed} of ${targeted} targeted figures MISSED their targets (reported, not fatal).`;
  return [table(header, lines), '', ...(notes.length > 0 ? ['Notes:', ...notes, ''] : []), summary].join(
    '\n',
  );
}
