import type { App, RouteDeps } from '../context.js';
import { optionalBody } from '../schemas/common.js';
import {
  AddNoteRequest,
  DeleteMissionQuery,
  DeleteMissionResponse,
  FailMissionRequest,
  ListMissionsQuery,
  MissionActionResponse,
  MissionEventList,
  MissionEventsQuery,
  MissionIdParams,
  MissionList,
  MissionNote,
  MissionStatus,
  MissionStatusQuery,
  NoteList,
  SnoozeWatchRequest,
  StartMissionRequest,
  StartMissionResponse,
  StopMissionRequest,
  UpdateWorkItemRequest,
  WatchItem,
  WatchItemList,
  WatchListQuery,
  WatchParams,
  WorkItem,
  WorkItemList,
  WorkItemParams,
  WorkListQuery,
} from '../schemas/missions.js';
import { describedProblems, SECURED } from './shared.js';

const TAGS = ['Missions'];
const MISSION_404 = { 404: 'Unknown mission' };
const ITEM_404 = { 404: 'Unknown mission or work item' };
const WATCH_404 = { 404: 'Unknown mission or watch' };
const problems = (descriptions: Record<number, string>, ...codes: number[]) =>
  describedProblems(
    { 400: 'Invalid input or malformed id; `errors` names the fields', ...descriptions },
    ...codes,
  );

/**
 * The mission operations (reads: town.read; start, resume, notes and work/watch updates: town.write;
 * stop, complete, fail and delete end or pause a whole mission and its agents' work: agent.manage).
 * Every handler parses, calls the mission service and shapes the reply.
 */
export function missionRoutes(app: App, { missions }: RouteDeps): void {
  app.get(
    '/v1/missions',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'List missions',
        operationId: 'listMissions',
        security: SECURED,
        querystring: ListMissionsQuery,
        response: { 200: MissionList, ...problems({}, 400, 401, 403) },
      },
    },
    async (request) => {
      const list = await missions.list({ activeOnly: request.query.active_only });
      return { missions: list, count: list.length };
    },
  );

  app.post(
    '/v1/missions',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: TAGS,
        summary: 'Start a mission',
        description:
          'Compiles the objectives into a work graph (issues are read from GitHub; docs from inside the town directory) and stores the mission, running. Nothing is stored when compilation fails: 400 with OBJECTIVE_INVALID (unknown issue, unreadable or escaping doc) or DEPENDENCY_CYCLE (naming the items in the cycle); 503 FORGE_ERROR when GitHub cannot be reached.',
        operationId: 'startMission',
        security: SECURED,
        body: StartMissionRequest,
        response: { 201: StartMissionResponse, ...problems({}, 400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const { mission, work_items } = await missions.start(request.body);
      reply.code(201);
      return {
        mission_id: mission.id,
        state: mission.state,
        objective_count: mission.objective_refs.length,
        work_item_count: work_items.length,
        work_items,
      };
    },
  );

  app.get(
    '/v1/missions/:mission_id',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Get mission status',
        description:
          'The mission, summary counts, the items whose task failed (they wait for a person), and on request its work items, watches and newest events.',
        operationId: 'getMissionStatus',
        security: SECURED,
        params: MissionIdParams,
        querystring: MissionStatusQuery,
        response: { 200: MissionStatus, ...problems(MISSION_404, 400, 401, 403, 404) },
      },
    },
    async (request) =>
      missions.get(request.params.mission_id, {
        includeWork: request.query.include_work,
        includeWatches: request.query.include_watches,
        includeEvents: request.query.include_events,
      }),
  );

  app.delete(
    '/v1/missions/:mission_id',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: TAGS,
        summary: 'Delete a mission',
        description:
          'Deletes the mission with its work items, watches, notes and events (its tasks stay). Only completed or failed missions, unless force=true: a mission that has not ended is then failed first, which cancels its open tasks and withdraws its help requests.',
        operationId: 'deleteMission',
        security: SECURED,
        params: MissionIdParams,
        querystring: DeleteMissionQuery,
        response: {
          200: DeleteMissionResponse,
          ...problems(
            { ...MISSION_404, 409: 'The mission is still active (use force=true)' },
            400,
            401,
            403,
            404,
            409,
          ),
        },
      },
    },
    async (request) => missions.delete(request.params.mission_id, { force: request.query.force }),
  );

  app.post(
    '/v1/missions/:mission_id/resume',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: TAGS,
        summary: 'Resume a stopped or blocked mission',
        operationId: 'resumeMission',
        security: SECURED,
        params: MissionIdParams,
        response: {
          200: MissionActionResponse,
          ...problems(
            { ...MISSION_404, 409: 'The mission is running, completed or failed' },
            400,
            401,
            403,
            404,
            409,
          ),
        },
      },
    },
    async (request) => missions.resume(request.params.mission_id),
  );

  app.post(
    '/v1/missions/:mission_id/stop',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: TAGS,
        summary: 'Stop an active mission',
        description:
          'Without force the mission pauses (state blocked) and can be resumed; with force it fails and its open tasks are cancelled.',
        operationId: 'stopMission',
        security: SECURED,
        params: MissionIdParams,
        body: optionalBody(StopMissionRequest),
        response: {
          200: MissionActionResponse,
          ...problems(
            { ...MISSION_404, 409: 'The mission is completed or failed' },
            400,
            401,
            403,
            404,
            409,
            413,
            415,
          ),
        },
      },
    },
    async (request) => missions.stop(request.params.mission_id, { force: request.body?.force === true }),
  );

  app.post(
    '/v1/missions/:mission_id/complete',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: TAGS,
        summary: 'Mark a mission completed',
        description: 'Completes the mission whatever its items’ state (`already completed` when it is).',
        operationId: 'completeMission',
        security: SECURED,
        params: MissionIdParams,
        response: {
          200: MissionActionResponse,
          ...problems({ ...MISSION_404, 409: 'The mission failed' }, 400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => missions.complete(request.params.mission_id),
  );

  app.post(
    '/v1/missions/:mission_id/fail',
    {
      config: { routeClass: 'manage' },
      schema: {
        tags: TAGS,
        summary: 'Mark a mission failed',
        operationId: 'failMission',
        security: SECURED,
        params: MissionIdParams,
        body: optionalBody(FailMissionRequest),
        response: {
          200: MissionActionResponse,
          ...problems({ ...MISSION_404, 409: 'The mission is completed' }, 400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request) => missions.fail(request.params.mission_id, request.body?.reason),
  );

  app.get(
    '/v1/missions/:mission_id/work',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'List work items for a mission',
        operationId: 'listWorkItems',
        security: SECURED,
        params: MissionIdParams,
        querystring: WorkListQuery,
        response: { 200: WorkItemList, ...problems(MISSION_404, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { mission_id } = request.params;
      const items = await missions.listWorkItems(
        mission_id,
        request.query.status ? { status: request.query.status } : {},
      );
      return { mission_id: mission_id.toLowerCase(), work_items: items, count: items.length };
    },
  );

  app.get(
    '/v1/missions/:mission_id/work/:work_item_id',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Get a work item',
        operationId: 'getWorkItem',
        security: SECURED,
        params: WorkItemParams,
        response: { 200: WorkItem, ...problems(ITEM_404, 400, 401, 403, 404) },
      },
    },
    async (request) => missions.getWorkItem(request.params.mission_id, request.params.work_item_id),
  );

  app.patch(
    '/v1/missions/:mission_id/work/:work_item_id',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: TAGS,
        summary: 'Update a work item',
        description:
          'Sets the status and/or adds artifacts. `done` is a submission, as when the item’s task completes: PR artifacts start the PR watches, and implement/test items ask for a review when the policy requires one — the item stays blocked until those clear.',
        operationId: 'updateWorkItem',
        security: SECURED,
        params: WorkItemParams,
        body: UpdateWorkItemRequest,
        response: {
          200: WorkItem,
          ...problems(
            { ...ITEM_404, 409: 'The mission is finished, the item is done, or the status cannot be set' },
            400,
            401,
            403,
            404,
            409,
            413,
            415,
          ),
        },
      },
    },
    async (request) => {
      const { mission_id, work_item_id } = request.params;
      const { item } = await missions.updateWorkItem(mission_id, work_item_id, request.body);
      return item;
    },
  );

  app.get(
    '/v1/missions/:mission_id/watches',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'List watches for a mission',
        operationId: 'listWatchItems',
        security: SECURED,
        params: MissionIdParams,
        querystring: WatchListQuery,
        response: { 200: WatchItemList, ...problems(MISSION_404, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { mission_id } = request.params;
      const watches = await missions.listWatches(
        mission_id,
        request.query.status ? { status: request.query.status } : {},
      );
      return { mission_id: mission_id.toLowerCase(), watches, count: watches.length };
    },
  );

  app.post(
    '/v1/missions/:mission_id/watches/:watch_id/snooze',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: TAGS,
        summary: 'Snooze a watch',
        description: 'Postpones the watch’s next check by duration_secs (at least 60).',
        operationId: 'snoozeWatch',
        security: SECURED,
        params: WatchParams,
        body: SnoozeWatchRequest,
        response: {
          200: WatchItem,
          ...problems({ ...WATCH_404, 409: 'The watch is done' }, 400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request) =>
      missions.snoozeWatch(request.params.mission_id, request.params.watch_id, request.body.duration_secs),
  );

  app.get(
    '/v1/missions/:mission_id/events',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Mission activity, newest first',
        operationId: 'getMissionEvents',
        security: SECURED,
        params: MissionIdParams,
        querystring: MissionEventsQuery,
        response: { 200: MissionEventList, ...problems(MISSION_404, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { mission_id } = request.params;
      const events = await missions.events(mission_id, { limit: request.query.limit });
      return { mission_id: mission_id.toLowerCase(), events, count: events.length };
    },
  );

  app.get(
    '/v1/missions/:mission_id/notes',
    {
      config: { routeClass: 'read' },
      schema: {
        tags: TAGS,
        summary: 'List operator notes',
        description:
          'Notes to the dispatcher, oldest first; `processed_at` is set once a tick has acted on one.',
        operationId: 'listMissionNotes',
        security: SECURED,
        params: MissionIdParams,
        response: { 200: NoteList, ...problems(MISSION_404, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { mission_id } = request.params;
      const notes = await missions.listNotes(mission_id);
      return { mission_id: mission_id.toLowerCase(), notes, count: notes.length };
    },
  );

  app.post(
    '/v1/missions/:mission_id/notes',
    {
      config: { routeClass: 'write' },
      schema: {
        tags: TAGS,
        summary: 'Leave a note for the dispatcher',
        description:
          'The next tick acts on it: `resume…` runs a blocked mission, `pause…` blocks it, `redirect <work item> to <agent> [reason]` reassigns an item (an unknown or ambiguous agent is logged and skipped); anything else is logged.',
        operationId: 'addMissionNote',
        security: SECURED,
        params: MissionIdParams,
        body: AddNoteRequest,
        response: { 201: MissionNote, ...problems(MISSION_404, 400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const note = await missions.addNote(request.params.mission_id, request.body);
      reply.code(201);
      return note;
    },
  );
}
