import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs a Node script whose standard output is closed before it writes anything, as `bin … | head` does
 * once head has had enough. Resolves with its exit code and what it wrote to stderr.
 */
export async function runWithClosedStdout(
  script: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}
