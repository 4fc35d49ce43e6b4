import { type Message, messageTypeName, summarizeMessage } from '@tinytown/core';
import type { App, RouteDeps } from '../context.js';
import { AgentParams } from '../schemas/common.js';
import { InboxResponse, SendMessageRequest, SendMessageResponse } from '../schemas/messages.js';
import { problems, SECURED } from './shared.js';

function summary(message: Message): string {
  switch (message.type) {
    case 'task':
      return message.description;
    case 'query':
      return message.question;
    case 'informational':
      return message.summary;
    case 'task_assign':
      return `task assignment ${message.task_id}`;
    default:
      return summarizeMessage(message, 200);
  }
}

export function messageRoutes(app: App, { town }: RouteDeps): void {
  app.post(
    '/v1/messages/send',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Messages'],
        summary: 'Send a message to an agent',
        operationId: 'sendMessage',
        security: SECURED,
        body: SendMessageRequest,
        response: { 201: SendMessageResponse, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const { to, message, kind, urgent, from } = request.body;
      const sent = await town.messages.send({ to, text: message, kind, urgent, ...(from ? { from } : {}) });
      reply.code(201);
      return { message_id: sent.message.id, to_agent: sent.to.id, urgent };
    },
  );

  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: '/v1/agents/:agent/inbox',
      config: { routeClass: 'read' },
      schema: {
        tags: ['Messages'],
        summary: 'Get agent inbox',
        description:
          'Reads the queued messages without taking them. POST is the same read, kept for older clients.',
        operationId: method === 'GET' ? 'getInboxGet' : 'getInboxPost',
        security: SECURED,
        params: AgentParams,
        response: { 200: InboxResponse, ...problems(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const view = await town.messages.peek(request.params.agent, 100);
        return {
          agent: request.params.agent,
          agent_id: view.agent.id,
          total: view.total,
          urgent: view.urgent,
          inflight: view.inflight,
          messages: view.messages.map((message) => ({
            id: message.id,
            from: message.from,
            type: messageTypeName(message),
            summary: summary(message),
            urgent: message.urgent === true || message.priority === 'urgent',
            created_at: message.created_at,
          })),
        };
      },
    });
  }
}
