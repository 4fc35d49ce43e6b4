import { messageLatency } from './message-latency.js';
import type { Scenario } from './scenario.js';
import { taskThroughput } from './task-throughput.js';

/** Every scenario, in the order `pnpm bench` runs them. Select some by name: `pnpm bench messages`. */
export const SCENARIOS: readonly Scenario[] = [
  messageLatency,
  taskThroughput,
  // REST slot (issue 3): replace this entry with the townhall scenario (autocannon against GET /v1/agents,
  // POST /v1/messages/send and POST /v1/tasks/assign beside a bare Fastify hello world) once apps/townhall
  // exists, e.g. `restThroughput` from './rest-throughput.js'.
  {
    name: 'rest',
    title: 'townhall REST vs bare Fastify hello world',
    pending: 'apps/townhall does not exist yet (issue 3)',
    run: async () => [],
  },
];
