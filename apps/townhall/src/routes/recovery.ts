import type { ReclaimDestination } from '@tinytown/store';
import type { App, RouteDeps } from '../context.js';
import { optionalBody } from '../schemas/common.js';
import {
  OrphanTasksRequest,
  OrphanTasksResponse,
  ReclaimRequest,
  ReclaimResponse,
  RecoverResponse,
} from '../schemas/recovery.js';
import { problems, SECURED } from './shared.js';

function destinationLabel(destination: ReclaimDestination): string {
  if (destination.kind === 'agent') return `agent:${destination.agent.name}`;
  return destination.kind;
}

export function recoveryRoutes(app: App, { town }: RouteDeps): void {
  app.post(
    '/v1/recover',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: ['Recovery'],
        summary: 'Recover orphaned agents',
        description:
          'Stops agents whose lease ran out and returns their in-flight messages and running tasks to their queues.',
        operationId: 'recover',
        security: SECURED,
        response: { 200: RecoverResponse, ...problems(401, 403) },
      },
    },
    async () => {
      const result = await town.recovery.recover();
      return {
        checked: result.checked,
        recovered: result.recovered.length,
        agents: result.recovered.map((agent) => agent.name),
        messages_returned: result.messagesReturned,
        tasks_requeued: result.tasksRequeued,
      };
    },
  );

  app.post(
    '/v1/reclaim',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: ['Recovery'],
        summary: 'Reclaim tasks from dead agents',
        description:
          'Without to_backlog or to, only lists what stopped agents hold (nothing moves). With to_backlog their tasks go back to the backlog; with to, their work goes to that agent.',
        operationId: 'reclaim',
        security: SECURED,
        body: optionalBody(ReclaimRequest),
        response: { 200: ReclaimResponse, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const body = request.body;
      const result = await town.recovery.reclaim({
        toBacklog: body?.to_backlog === true,
        ...(body?.to ? { to: body.to } : {}),
        ...(body?.from ? { from: body.from } : {}),
      });
      return {
        reclaimed: result.reclaimed,
        destination: destinationLabel(result.destination),
        work: result.work.map((held) => ({
          agent_id: held.agent.id,
          agent_name: held.agent.name,
          messages: held.messages.length,
          tasks: held.tasks.map((task) => task.id),
        })),
      };
    },
  );

  app.post(
    '/v1/reclaim/orphan-tasks',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: ['Recovery'],
        summary: 'List or handle tasks whose assignee is gone or stopped',
        operationId: 'reclaimOrphanTasks',
        security: SECURED,
        body: optionalBody(OrphanTasksRequest),
        response: { 200: OrphanTasksResponse, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      const requested = request.body?.action ?? 'list';
      const action = requested === '' ? 'list' : requested === 'backlog' ? 'to_backlog' : requested;
      const orphans = await town.recovery.reclaimOrphans(action);
      return {
        action,
        count: orphans.length,
        orphans: orphans.map((orphan) => ({
          task_id: orphan.task.id,
          assigned_to: orphan.task.assigned_to,
          state: orphan.task.state,
          reason: orphan.reason,
        })),
      };
    },
  );
}
