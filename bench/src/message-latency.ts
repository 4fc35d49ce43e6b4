import { bodyForKind } from '@tinytown/core';
import { newMessage, Town } from '@tinytown/store';
import { startTestRedis } from '@tinytown/testkit';
import { Redis } from 'ioredis';
import type { Row, Scenario } from './scenario.js';
import { nowMs, percentile } from './stats.js';

/**
 * Message latency: one sender, one receiver already waiting in a blocking receive; each sample is the
 * time from the start of the send to the moment the receive resolves. The anchor is the same ping-pong
 * with raw LPUSH → BLPOP (ioredis, two connections) on the same private server, in the same run, with a
 * payload of the same bytes as a Tinytown message. The three variants run in interleaved blocks so
 * that noise on a shared machine hits all of them alike.
 */

const MESSAGES = 10_000;
const WARMUP = 1_000;
const BLOCK = 500;
const RECEIVE_TIMEOUT_MS = 5_000;
const TEXT = 'bench: please review the latest change';

type Variant = 'raw' | 'send' | 'deliver';

async function run(log: (line: string) => void): Promise<Row[]> {
  const server = await startTestRedis();
  const town = await Town.connect({ url: server.url, town: 'bench-messages' });
  const pusher = new Redis(server.port, '127.0.0.1');
  const blocker = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
  try {
    const receiver = await town.agents.register({ name: 'receiver', cli: 'bench' });
    const rawKey = 'bench:raw-inbox';
    // The raw payload is byte for byte what the store would queue for the receiver.
    const payload = JSON.stringify(newMessage(receiver.id, bodyForKind('task', TEXT)));

    const once: Record<Variant, () => Promise<number>> = {
      raw: async () => {
        const received = blocker.blpop(rawKey, RECEIVE_TIMEOUT_MS / 1000);
        const start = nowMs();
        const [[end, reply]] = await Promise.all([
          received.then((value) => [nowMs(), value] as const),
          pusher.lpush(rawKey, payload),
        ]);
        if (reply === null || reply[1] !== payload) throw new Error('raw: BLPOP returned the wrong payload');
        return end - start;
      },
      send: async () => {
        const received = town.messages.receive(receiver.id, RECEIVE_TIMEOUT_MS);
        const start = nowMs();
        const [[end, message], sent] = await Promise.all([
          received.then((value) => [nowMs(), value] as const),
          town.messages.send({ to: receiver.id, text: TEXT }),
        ]);
        if (message?.id !== sent.message.id) throw new Error('send: received a different message');
        return end - start;
      },
      deliver: async () => {
        const received = town.messages.receive(receiver.id, RECEIVE_TIMEOUT_MS);
        const start = nowMs();
        const [[end, message], sent] = await Promise.all([
          received.then((value) => [nowMs(), value] as const),
          town.messages.deliver(receiver.id, bodyForKind('task', TEXT)),
        ]);
        if (message?.id !== sent.id) throw new Error('deliver: received a different message');
        return end - start;
      },
    };
    const variants: Variant[] = ['raw', 'send', 'deliver'];
    const samples: Record<Variant, number[]> = { raw: [], send: [], deliver: [] };

    log(`warm-up: ${WARMUP} messages per variant`);
    for (const variant of variants) for (let i = 0; i < WARMUP; i++) await once[variant]();

    await server.client.config('RESETSTAT');
    log(`measuring ${MESSAGES} messages per variant in blocks of ${BLOCK}`);
    for (let done = 0; done < MESSAGES; done += BLOCK) {
      for (const variant of variants) {
        for (let i = 0; i < Math.min(BLOCK, MESSAGES - done); i++)
          samples[variant].push(await once[variant]());
      }
    }

    const stats = await server.client.info('commandstats');
    const serverUs = (command: string) =>
      new RegExp(`cmdstat_${command}:.*usec_per_call=([\\d.]+)`).exec(stats)?.[1] ?? '?';
    const us = (variant: Variant, p: number) => percentile(samples[variant], p) * 1000;
    const row = (figure: string, variant: Variant, p: number, target: number | null, note?: string): Row => ({
      scenario: 'messages',
      figure,
      value: us(variant, p),
      anchor: `LPUSH → BLPOP p${p}`,
      anchorValue: us('raw', p),
      unit: 'µs',
      better: 'lower',
      target,
      ...(note ? { note } : {}),
    });
    return [
      row(
        'messages.send → receive p50',
        'send',
        50,
        1.5,
        `${MESSAGES.toLocaleString('en-US')} sequential messages per variant, receiver blocked in messages.receive (BLPOP over urgent+inbox); send() to an agent id runs the sendMessage script, which checks and names the recipient: one round trip`,
      ),
      row('messages.send → receive p99', 'send', 99, null),
      row(
        'messages.deliver → receive p50',
        'deliver',
        50,
        1.5,
        `deliver() queues a prepared body for an agent id: one script round trip. Redis CPU per call: sendMessage script ${serverUs('evalsha')} µs vs LPUSH ${serverUs('lpush')} µs; BLPOP ${serverUs('blpop')} µs`,
      ),
      row('messages.deliver → receive p99', 'deliver', 99, null),
    ];
  } finally {
    pusher.disconnect();
    blocker.disconnect();
    await town.close();
    await server.stop();
  }
}

export const messageLatency: Scenario = {
  name: 'messages',
  title: 'send → blocking receive latency vs raw LPUSH → BLPOP',
  run,
};
