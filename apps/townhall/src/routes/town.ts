import type { App, RouteDeps } from '../context.js';
import { StatusQuery, TownInfo, TownStatus } from '../schemas/town.js';
import { agentInfos, problems, SECURED } from './shared.js';

export function townRoutes(app: App, { town, root }: RouteDeps): void {
  const info = () => ({ name: town.name, root, redis_url: town.redactedUrl });

  app.get(
    '/v1/town',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Town'],
        summary: 'Get town information',
        operationId: 'getTown',
        security: SECURED,
        response: { 200: TownInfo, ...problems(401, 403) },
      },
    },
    async () => info(),
  );

  app.get(
    '/v1/status',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Town'],
        summary: 'Get comprehensive town status with all agents',
        operationId: 'getStatus',
        security: SECURED,
        querystring: StatusQuery,
        response: { 200: TownStatus, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const [agents, backlog] = await Promise.all([town.agents.list(), town.backlog.length()]);
      const status = {
        ...info(),
        agent_count: agents.length,
        agents: agentInfos(agents),
        backlog_count: backlog,
      };
      if (!request.query.deep) return status;
      const activity = await Promise.all(agents.map((agent) => town.agents.activity(agent.id, 10)));
      return {
        ...status,
        activity: Object.fromEntries(agents.map((agent, i) => [agent.id, activity[i] ?? []])),
      };
    },
  );
}
