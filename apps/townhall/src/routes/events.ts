import type { App, RouteDeps } from '../context.js';
import { EventList, EventsQuery } from '../schemas/events.js';
import { problems, SECURED } from './shared.js';

export function eventRoutes(app: App, { town }: RouteDeps): void {
  app.get(
    '/v1/events',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Events'],
        summary: 'Recent town events, newest first',
        operationId: 'listEvents',
        security: SECURED,
        querystring: EventsQuery,
        response: { 200: EventList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const events = await town.events.recent({
        limit: request.query.limit,
        ...(request.query.agent ? { agent: request.query.agent } : {}),
        ...(request.query.mission ? { mission: request.query.mission } : {}),
      });
      return { events, count: events.length };
    },
  );
}
