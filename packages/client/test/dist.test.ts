import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTownhall } from './harness.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * The built package as an installed one is loaded: `@tinytown/client` through its own `exports` (Node
 * resolves a package's own name from inside it), so `require` gets dist/index.cjs and `import` dist/index.js.
 */
async function consume(kind: 'commonjs' | 'module', baseUrl: string): Promise<unknown> {
  const load =
    kind === 'commonjs'
      ? "const sdk = require('@tinytown/client');"
      : "const sdk = await import('@tinytown/client');";
  const script = `(async () => {
    ${load}
    const town = sdk.createTinytownClient({ baseUrl: ${JSON.stringify(baseUrl)} });
    const spawned = await town.agents.spawn({ name: 'backend', cli: 'claude' });
    const missing = await town.agents.get('nobody').catch((error) => error);
    console.log(JSON.stringify({
      spawned: spawned.name,
      error: missing instanceof sdk.TinytownApiError && missing instanceof sdk.TinytownClientError,
      code: missing.code,
    }));
  })();`;
  const { stdout } = await run(process.execPath, [`--input-type=${kind}`, '-e', script], { cwd: packageDir });
  return JSON.parse(stdout);
}

describe('the built package, loaded the way an installed one is', () => {
  const hall = useTownhall();

  it.each(['commonjs', 'module'] as const)('works through require() and import: %s', async (kind) => {
    expect(await consume(kind, hall.baseUrl)).toEqual({
      spawned: 'backend',
      error: true,
      code: 'AGENT_NOT_FOUND',
    });
  });
});

describe('errors from the other copy of the SDK', () => {
  it('instanceof recognises an error the CommonJS copy made in the ESM copy, and the reverse', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const cjs = createRequire(process.cwd() + '/')('@tinytown/client');
      const esm = await import('@tinytown/client');
      const fromCjs = new cjs.TinytownTimeoutError('GET', '/v1/town', 10);
      const fromEsm = new esm.TinytownNetworkError('GET', '/v1/town');
      console.log(JSON.stringify({
        twoCopies: cjs.TinytownClientError !== esm.TinytownClientError,
        timeoutInEsm: fromCjs instanceof esm.TinytownTimeoutError,
        clientInEsm: fromCjs instanceof esm.TinytownClientError,
        networkInCjs: fromEsm instanceof cjs.TinytownNetworkError,
        clientInCjs: fromEsm instanceof cjs.TinytownClientError,
        timeoutIsNotNetwork: fromCjs instanceof esm.TinytownNetworkError,
        plainErrorIsNot: new Error('x') instanceof esm.TinytownClientError,
        lookalikeIsNot: { name: 'TinytownClientError' } instanceof esm.TinytownClientError,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
    });
    expect(JSON.parse(stdout)).toEqual({
      twoCopies: true,
      timeoutInEsm: true,
      clientInEsm: true,
      networkInCjs: true,
      clientInCjs: true,
      timeoutIsNotNetwork: false,
      plainErrorIsNot: false,
      lookalikeIsNot: false,
    });
  });
});
