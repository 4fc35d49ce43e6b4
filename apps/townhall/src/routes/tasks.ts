import type { ActingAgent } from '@tinytown/store';
import type { App, RouteDeps } from '../context.js';
import { optionalBody, Task, TaskIdParams } from '../schemas/common.js';
import {
  AssignTaskRequest,
  AssignTaskResponse,
  CompleteTaskRequest,
  FailTaskRequest,
  PendingTaskList,
  TaskList,
  TaskListQuery,
} from '../schemas/tasks.js';
import { problems, SECURED } from './shared.js';

const actingAgent = (agent: string | undefined): ActingAgent => (agent === undefined ? {} : { by: agent });

export function taskRoutes(app: App, { town }: RouteDeps): void {
  app.post(
    '/v1/tasks/assign',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Tasks'],
        summary: 'Assign a task to an agent',
        operationId: 'assignTask',
        security: SECURED,
        body: AssignTaskRequest,
        response: { 201: AssignTaskResponse, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const { agent, task, tags } = request.body;
      const result = await town.tasks.assign(agent, task, tags ? { tags } : {});
      reply.code(201);
      return { task_id: result.task.id, agent_id: result.agent.id, agent_name: result.agent.name };
    },
  );

  app.get(
    '/v1/tasks/pending',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Tasks'],
        summary: 'List pending tasks across all agents',
        description:
          'Tasks assigned to an agent (or the conductor) that have not been started, oldest first.',
        operationId: 'listPendingTasks',
        security: SECURED,
        response: { 200: PendingTaskList, ...problems(401, 403) },
      },
    },
    async () => {
      const pending = (await town.tasks.pending()).map(({ task, agent }) => ({
        task_id: task.id,
        description: task.description,
        agent_id: agent.id,
        agent_name: agent.name,
      }));
      return { tasks: pending, count: pending.length };
    },
  );

  app.get(
    '/v1/tasks',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Tasks'],
        summary: 'List tasks, by state and/or agent',
        operationId: 'listTasks',
        security: SECURED,
        querystring: TaskListQuery,
        response: { 200: TaskList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const tasks = await town.tasks.list({
        ...(request.query.state ? { state: request.query.state } : {}),
        ...(request.query.agent ? { agent: request.query.agent } : {}),
      });
      return { tasks, count: tasks.length };
    },
  );

  app.get(
    '/v1/tasks/:task_id',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Tasks'],
        summary: 'Get one task',
        operationId: 'getTask',
        security: SECURED,
        params: TaskIdParams,
        response: { 200: Task, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => town.tasks.get(request.params.task_id),
  );

  app.post(
    '/v1/tasks/:task_id/complete',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Tasks'],
        summary: 'Mark a task completed',
        operationId: 'completeTask',
        security: SECURED,
        params: TaskIdParams,
        body: optionalBody(CompleteTaskRequest),
        response: { 200: Task, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) =>
      town.tasks.complete(request.params.task_id, request.body?.result, actingAgent(request.body?.agent)),
  );

  app.post(
    '/v1/tasks/:task_id/fail',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: ['Tasks'],
        summary: 'Mark a task failed',
        operationId: 'failTask',
        security: SECURED,
        params: TaskIdParams,
        body: optionalBody(FailTaskRequest),
        response: { 200: Task, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) =>
      town.tasks.fail(request.params.task_id, request.body?.error, actingAgent(request.body?.agent)),
  );
}
