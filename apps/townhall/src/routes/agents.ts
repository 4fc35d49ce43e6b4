import { resolveAgentCli } from '@tinytown/agent';
import { agentNotFound, isTinytownError, TinytownError, type TownConfig } from '@tinytown/core';
import type { TransitionResult } from '@tinytown/store';
import { z } from 'zod';
import type { App, RouteDeps } from '../context.js';
import {
  AgentActionResponse,
  AgentInfo,
  AgentList,
  PruneRequest,
  PruneResponse,
  SpawnAgentRequest,
  SpawnAgentResponse,
} from '../schemas/agents.js';
import { AgentParams, optionalBody } from '../schemas/common.js';
import { sendNotModified } from './etag.js';
import { agentInfo, agentList, encodeOnce, problems, SECURED, stateLabel } from './shared.js';

/**
 * The CLI a spawned agent will run, by its canonical name. An unknown name is the caller's mistake and is
 * refused before anything is written; the original stored it, and the agent failed only once a runtime
 * attached.
 */
function knownCli(requested: string | undefined, config: TownConfig): string {
  try {
    return resolveAgentCli(requested ?? config.default_cli, config.agent_clis).name;
  } catch (caught) {
    if (requested === undefined || !isTinytownError(caught, 'CONFIG_INVALID')) throw caught;
    throw new TinytownError('INVALID_INPUT', caught.message, caught.details);
  }
}

type Action = 'kill' | 'restart' | 'interrupt' | 'resume' | 'close';

const ACTIONS: Record<
  Action,
  {
    operationId: string;
    summary: string;
    status: 'stopped' | 'restarted' | 'paused' | 'resumed' | 'draining';
  }
> = {
  kill: { operationId: 'killAgent', summary: 'Stop an agent now', status: 'stopped' },
  restart: { operationId: 'restartAgent', summary: 'Restart a stopped or failed agent', status: 'restarted' },
  interrupt: {
    operationId: 'interruptAgent',
    summary: 'Pause an agent until it is resumed',
    status: 'paused',
  },
  resume: { operationId: 'resumeAgent', summary: 'Resume a paused agent', status: 'resumed' },
  close: {
    operationId: 'closeAgent',
    summary: 'Let an agent finish its round, then stop',
    status: 'draining',
  },
};

export function agentRoutes(app: App, { town, config }: RouteDeps): void {
  app.get(
    '/v1/agents',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Agents'],
        summary: 'List all agents',
        description:
          'The response carries a weak `ETag` that changes whenever anything in the listing changes. Send it back in `If-None-Match` to get `304 Not Modified` (no body) while nothing has changed.',
        operationId: 'listAgents',
        security: SECURED,
        response: {
          200: AgentList,
          304: z.null().describe('Not modified: the listing is still the version named in If-None-Match'),
          ...problems(401, 403),
        },
      },
      // Pollers ask again and again while nothing changes: one listing, encoded once, per roster revision.
      serializerCompiler: () => encodeOnce,
    },
    async (request, reply) => {
      const { revision, agents } = await town.agents.listing();
      if (sendNotModified(request, reply, revision)) return reply;
      return agentList(agents);
    },
  );

  app.post(
    '/v1/agents',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: ['Agents'],
        summary: 'Spawn a new agent',
        description:
          'Registers the agent (state Starting). A runtime (`tt spawn` or a worker) attaches to it and runs its CLI. `cli` must name a preset or an `[agent_clis]` entry of the town (case-insensitive); the reply carries its canonical name. An unknown `cli` is a 400 naming the known ones.',
        operationId: 'spawnAgent',
        security: SECURED,
        body: SpawnAgentRequest,
        response: { 201: SpawnAgentResponse, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const agent = await town.agents.register({
        name: body.name,
        cli: knownCli(body.cli, config),
        role: body.role_id ?? null,
        nickname: body.nickname ?? null,
        parent: body.parent_agent_id ?? null,
      });
      reply.code(201);
      return {
        agent_id: agent.id,
        name: agent.name,
        cli: agent.cli,
        role_id: agent.role_id,
        nickname: agent.nickname,
        parent_agent_id: agent.parent_agent_id,
        state: stateLabel(agent.state),
      };
    },
  );

  app.post(
    '/v1/agents/prune',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: ['Agents'],
        summary: 'Prune stopped/error agents from active roster',
        operationId: 'pruneAgents',
        security: SECURED,
        body: optionalBody(PruneRequest),
        response: { 200: PruneResponse, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      const agents = await town.agents.prune({ all: request.body?.all === true });
      return { removed: agents.length, agents };
    },
  );

  app.get(
    '/v1/agents/:agent',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: ['Agents'],
        summary: 'Get one agent',
        operationId: 'getAgent',
        security: SECURED,
        params: AgentParams,
        response: { 200: AgentInfo, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = await town.agents.resolve(request.params.agent);
      const listed = (await town.agents.list()).find((candidate) => candidate.id === id);
      // Pruned between the two reads.
      if (!listed) throw agentNotFound(request.params.agent);
      return agentInfo(listed);
    },
  );

  for (const [action, meta] of Object.entries(ACTIONS) as [Action, (typeof ACTIONS)[Action]][]) {
    app.post(
      `/v1/agents/:agent/${action}`,
      {
        config: { routeClass: 'manage' },
        schema: {
          tags: ['Agents'],
          summary: meta.summary,
          operationId: meta.operationId,
          security: SECURED,
          params: AgentParams,
          response: { 200: AgentActionResponse, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const ref = request.params.agent;
        const result: TransitionResult = await town.agents[action](ref);
        return {
          status: meta.status,
          agent: ref,
          agent_id: result.agent.id,
          previous_state: stateLabel(result.previous),
          state: stateLabel(result.agent.state),
        };
      },
    );
  }
}
