import {
  bodyForKind,
  CONDUCTOR_ID,
  isUuid,
  type Message,
  type MessageBody,
  type MessageKind,
} from '@tinytown/core';
import { type Address, type Agents, CONDUCTOR_ADDRESS } from './agents.js';
import { decodeMessage } from './codec.js';
import type { StoreContext } from './context.js';
import { redisCall, requireLimit } from './errors.js';
import { newMessage } from './message-factory.js';
import { requireText } from './tasks.js';

export interface SendInput {
  to: string;
  text: string;
  kind?: MessageKind | undefined;
  urgent?: boolean | undefined;
  /** Sender: an agent reference, an agent UUID, or `conductor`/`supervisor`. Defaults to the conductor. */
  from?: string | undefined;
}

export interface SendResult {
  message: Message;
  to: Address;
  from: Address;
}

export interface InboxView {
  agent: Address;
  /** Queued messages (urgent and normal). */
  total: number;
  urgent: number;
  /** Messages taken into a round and not yet acknowledged. */
  inflight: number;
  /** The queued messages in delivery order: urgent first, then normal, oldest first within each. */
  messages: Message[];
}

export class Messages {
  constructor(
    private readonly ctx: StoreContext,
    private readonly agents: Agents,
  ) {}

  /** Sends text as a task, query, info or ack message. */
  async send(input: SendInput): Promise<SendResult> {
    requireText(input.text, 'message');
    const ref = requireText(input.to, 'to').trim();
    const from = input.from === undefined ? CONDUCTOR_ADDRESS : await this.resolveSender(input.from);
    const body = bodyForKind(input.kind ?? 'task', input.text);
    const options = { from: from.id, urgent: input.urgent === true };
    const sendTo = async (toId: string): Promise<SendResult> => {
      const { message, recipient } = await this.post(toId, body, options);
      return { message, to: { id: toId, name: recipient }, from };
    };
    // A UUID needs no lookup: the script checks the recipient exists and names it.
    if (isUuid(ref)) return sendTo(ref.toLowerCase());
    return this.agents.addressed(ref, (to) => sendTo(to.id));
  }

  /** Queues any message body for an agent id (or the conductor's mailbox). */
  async deliver(
    toId: string,
    body: MessageBody,
    options: { from?: string; urgent?: boolean } = {},
  ): Promise<Message> {
    return (await this.post(toId, body, options)).message;
  }

  private async post(
    toId: string,
    body: MessageBody,
    options: { from?: string; urgent?: boolean },
  ): Promise<{ message: Message; recipient: string }> {
    const message = newMessage(toId, body, options);
    const recipient = (await this.ctx.run(
      'sendMessage',
      { to: toId, urgent: options.urgent === true, history_max: this.ctx.settings.historyMax },
      [JSON.stringify(message)],
    )) as string;
    return { message, recipient };
  }

  /** Reads an inbox without taking anything. */
  async peek(agentRef: string, limit = 100): Promise<InboxView> {
    requireLimit(limit);
    const agent = await this.agents.resolveAddress(agentRef);
    const { keys, redis } = this.ctx;
    const replies =
      (await redisCall(
        redis
          .pipeline()
          .llen(keys.urgent(agent.id))
          .llen(keys.inbox(agent.id))
          .llen(keys.inflight(agent.id))
          .lrange(keys.urgent(agent.id), 0, limit - 1)
          .lrange(keys.inbox(agent.id), 0, limit - 1)
          .exec(),
      )) ?? [];
    const [urgentLen, inboxLen, inflightLen, urgentRaw, inboxRaw] = replies.map(([, value]) => value) as [
      number,
      number,
      number,
      string[],
      string[],
    ];
    const messages = [...urgentRaw, ...inboxRaw]
      .slice(0, limit)
      .map(decodeMessage)
      .filter((message): message is Message => message !== undefined);
    return { agent, total: urgentLen + inboxLen, urgent: urgentLen, inflight: inflightLen, messages };
  }

  /**
   * Takes up to `max` messages into the agent's in-flight list for a round (urgent first). They stay
   * there until `settleRound`; if the agent dies first, recovery returns them to the queues.
   */
  async takeRound(agentId: string, max = 50): Promise<Message[]> {
    const raw = (await this.ctx.run('takeRound', { id: agentId, max })) as string[];
    return raw.map(decodeMessage).filter((message): message is Message => message !== undefined);
  }

  /**
   * Ends a round: the messages in `requeueIds` return to the front of their queues, in order; the rest
   * are acknowledged. Returns how many went back.
   */
  async settleRound(agentId: string, requeueIds: readonly string[] = []): Promise<number> {
    return (await this.ctx.run('settleRound', { id: agentId, requeue: requeueIds })) as number;
  }

  /**
   * Waits up to `timeoutMs` for the next message (urgent first) and removes it from the queue. For
   * at-least-once handling use `takeRound`/`settleRound` instead.
   */
  async receive(agentId: string, timeoutMs: number): Promise<Message | null> {
    const { keys } = this.ctx;
    // BLPOP over two keys pops from the first non-empty one: urgent before normal.
    const reply = await this.ctx.blocking.use((connection) =>
      redisCall(connection.blpop(keys.urgent(agentId), keys.inbox(agentId), timeoutMs / 1000)),
    );
    if (!reply) return null;
    // The pop shortened a queue that agent listings show; the receiver need not wait for that.
    this.agents.rosterChangedSoon();
    return decodeMessage(reply[1]) ?? null;
  }

  /** Recent messages across the town, newest first. */
  async history(limit = 30): Promise<Message[]> {
    const raw = await redisCall(this.ctx.redis.lrange(this.ctx.keys.history, 0, requireLimit(limit) - 1));
    return raw.map(decodeMessage).filter((message): message is Message => message !== undefined);
  }

  /** A sender may be named by reference or by UUID; an unknown sender is an error, not a silent default. */
  private async resolveSender(ref: string): Promise<Address> {
    const trimmed = ref.trim();
    if (trimmed.toLowerCase() === CONDUCTOR_ID) return CONDUCTOR_ADDRESS;
    if (isUuid(trimmed)) {
      const agent = await this.agents.get(trimmed.toLowerCase());
      return { id: agent.id, name: agent.name };
    }
    return this.agents.resolveAddress(trimmed);
  }
}
