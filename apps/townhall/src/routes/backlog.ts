import { isTinytownError } from '@tinytown/core';
import type { App, RouteDeps } from '../context.js';
import {
  AddBacklogRequest,
  AddBacklogResponse,
  AssignAllRequest,
  AssignAllResponse,
  BacklogList,
  ClaimRequest,
  ClaimResponse,
  RemoveBacklogResponse,
} from '../schemas/backlog.js';
import { TaskIdParams } from '../schemas/common.js';
import { problems, SECURED } from './shared.js';

export function backlogRoutes(app: App, { town }: RouteDeps): void {
  /** A task that is not in the backlog is 409, unless there is no such task at all: then 404. */
  async function explainMissing(error: unknown, taskId: string): Promise<never> {
    if (isTinytownError(error, 'NOT_IN_BACKLOG')) await town.tasks.get(taskId);
    throw error;
  }

  app.get(
    '/v1/backlog',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Backlog'],
        summary: 'List backlog tasks',
        operationId: 'listBacklog',
        security: SECURED,
        response: { 200: BacklogList, ...problems(401, 403) },
      },
    },
    async () => {
      const tasks = await town.backlog.list();
      const backlog = tasks.map((task) => ({
        task_id: task.id,
        description: task.description,
        tags: task.tags,
      }));
      return { backlog, count: backlog.length };
    },
  );

  app.post(
    '/v1/backlog',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Backlog'],
        summary: 'Add task to backlog',
        operationId: 'addToBacklog',
        security: SECURED,
        body: AddBacklogRequest,
        response: { 201: AddBacklogResponse, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const task = await town.backlog.add(request.body.description, { tags: request.body.tags ?? [] });
      reply.code(201);
      return { task_id: task.id, description: task.description, tags: task.tags };
    },
  );

  app.post(
    '/v1/backlog/assign-all',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Backlog'],
        summary: 'Assign all backlog tasks to an agent',
        operationId: 'assignAllBacklog',
        security: SECURED,
        body: AssignAllRequest,
        response: { 200: AssignAllResponse, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { agent, tasks } = await town.backlog.assignAll(request.body.agent);
      return { assigned: tasks.length, tasks: tasks.map((task) => task.id), agent_id: agent.id };
    },
  );

  app.post(
    '/v1/backlog/:task_id/claim',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Backlog'],
        summary: 'Claim a backlog task for an agent',
        operationId: 'claimBacklogTask',
        security: SECURED,
        params: TaskIdParams,
        body: ClaimRequest,
        response: { 200: ClaimResponse, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { task_id } = request.params;
      const result = await town.backlog
        .claim(task_id, request.body.agent)
        .catch((error: unknown) => explainMissing(error, task_id));
      return { task_id: result.task.id, agent_id: result.agent.id, agent_name: result.agent.name };
    },
  );

  app.delete(
    '/v1/backlog/:task_id',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Backlog'],
        summary: 'Remove a backlog task',
        description: 'Takes the task off the backlog and deletes it.',
        operationId: 'removeBacklogTask',
        security: SECURED,
        params: TaskIdParams,
        response: { 200: RemoveBacklogResponse, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { task_id } = request.params;
      await town.backlog.remove(task_id).catch((error: unknown) => explainMissing(error, task_id));
      return { removed: true as const, task_id: task_id.toLowerCase() };
    },
  );
}
