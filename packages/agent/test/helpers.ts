import { readFile } from 'node:fs/promises';
import type { Message, MessageBody, Priority } from '@tinytown/core';

export const AGENT_ID = '11111111-1111-4111-8111-111111111111';
export const ALICE_ID = '22222222-2222-4222-8222-222222222222';

export function message(
  body: MessageBody,
  options: { from?: string; urgent?: boolean; priority?: Priority } = {},
): Message {
  return {
    id: crypto.randomUUID(),
    from: options.from ?? ALICE_ID,
    to: AGENT_ID,
    priority: options.priority ?? 'normal',
    created_at: new Date().toISOString(),
    correlation_id: null,
    ...(options.urgent === undefined ? {} : { urgent: options.urgent }),
    ...body,
  };
}

export const aliceLookup = (id: string) =>
  id === ALICE_ID ? { name: 'alice', nickname: 'Dorothy', role_id: 'reviewer' } : undefined;

/** The trimmed contents of a file a child process writes, once it has written something. */
export async function waitForFile(path: string, ms = 5_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim()) return text.trim();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} never appeared`);
}

/** What `run` throws; undefined when it returns. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
