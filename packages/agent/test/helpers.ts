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
