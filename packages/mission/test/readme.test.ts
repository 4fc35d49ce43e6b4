import { readFileSync } from 'node:fs';
import { itCompilesEveryReadmeExample, readmeConsumer } from '@tinytown/testkit';
import { describe, expect, it } from 'vitest';

const readme = readmeConsumer(import.meta.url);

describe('the README, as a consumer with strict settings compiles it against the built package', () => {
  itCompilesEveryReadmeExample(readme);

  it('optional options take undefined (a value passed through) with exactOptionalPropertyTypes', () => {
    const source = `import { Dispatcher, type Forge, MissionService } from '@tinytown/mission';
import type { Town } from '@tinytown/store';
export function build(town: Town, forge: Forge | undefined, env: Record<string, string | undefined>) {
  const stuckMs = env.STUCK_MS === undefined ? undefined : Number(env.STUCK_MS);
  const missions = new MissionService({ town, forge, townRoot: '.', leaseMs: undefined });
  const dispatcher = new Dispatcher({
    town,
    forge,
    mission: env.MISSION_ID,
    intervalMs: undefined,
    help: { stuckMs },
    onError: undefined,
  });
  return { missions, dispatcher };
}
`;
    expect(readme.diagnostics(source)).toEqual([]);
  });

  it('the service takes typed input: a misspelt status, a text snooze or a note without a body fails to compile', () => {
    const source = `import type { MissionService } from '@tinytown/mission';
export async function misuse(missions: MissionService, id: string, item: string, watch: string) {
  // @ts-expect-error not a work item status
  await missions.updateWorkItem(id, item, { status: 'finished' });
  // @ts-expect-error artifacts are a list
  await missions.updateWorkItem(id, item, { artifacts: 'https://example.com/pr/1' });
  // @ts-expect-error seconds are a number
  await missions.snoozeWatch(id, watch, '120');
  // @ts-expect-error a note has a body
  await missions.addNote(id, { sender: 'ops' });
  await missions.updateWorkItem(id, item, { status: 'done', artifacts: ['https://example.com/pr/1'] });
  await missions.snoozeWatch(id, watch, 120);
  await missions.addNote(id, { body: 'pause for the freeze', sender: undefined });
}
`;
    expect(readme.diagnostics(source)).toEqual([]);
  });

  it('the declarations name each type once: none is a renamed duplicate a consumer cannot import', () => {
    const declarations = readFileSync(new URL('../dist/index.d.ts', import.meta.url), 'utf8');
    expect(declarations.match(/\b\w+\$\d+\b/g) ?? []).toEqual([]);
  });
});
