import { cpus, loadavg } from 'node:os';
import { renderReport } from './report.js';
import type { Row, Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios.js';

/**
 * `pnpm bench [scenario…]`: runs the selected scenarios (all by default) in order and prints each figure
 * beside its anchor, measured on the same private redis-server in the same run. A missed target is
 * reported, not fatal: the process exits 0 unless a scenario itself breaks or the arguments are wrong.
 */

function usage(): string {
  const names = SCENARIOS.map(
    (scenario) => `  ${scenario.name.padEnd(10)} ${scenario.title}${scenario.pending ? ' (pending)' : ''}`,
  );
  return ['usage: pnpm bench [scenario…]', '', 'scenarios:', ...names].join('\n');
}

function select(args: readonly string[]): Scenario[] | string {
  const wanted = args.filter((arg) => arg !== '--');
  if (wanted.length === 0) return [...SCENARIOS];
  const unknown = wanted.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) return `unknown scenario: ${unknown.join(', ')}`;
  return SCENARIOS.filter((scenario) => wanted.includes(scenario.name));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const selected = select(args);
  if (typeof selected === 'string') {
    console.error(`${selected}\n\n${usage()}`);
    return 2;
  }

  const load = loadavg().map((value) => value.toFixed(2));
  console.log(
    `tinytown bench — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load ${load.join(' ')}`,
  );
  const rows: Row[] = [];
  const pending: Scenario[] = [];
  const started = performance.now();
  for (const scenario of selected) {
    if (scenario.pending) {
      pending.push(scenario);
      continue;
    }
    console.log(`\n▶ ${scenario.name}: ${scenario.title}`);
    const scenarioStart = performance.now();
    rows.push(...(await scenario.run((line) => console.log(`  ${line}`))));
    console.log(`  done in ${((performance.now() - scenarioStart) / 1000).toFixed(1)} s`);
  }
  console.log(`\nResults (${((performance.now() - started) / 1000).toFixed(1)} s in all):\n`);
  console.log(renderReport(rows, pending));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
