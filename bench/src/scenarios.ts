import { dispatcherTick } from './dispatcher-tick.js';
import { messageLatency } from './message-latency.js';
import { restThroughput } from './rest.js';
import type { Scenario } from './scenario.js';
import { taskThroughput } from './task-throughput.js';

/** Every scenario, in the order `pnpm bench` runs them. Select some by name: `pnpm bench messages`. */
export const SCENARIOS: readonly Scenario[] = [
  messageLatency,
  taskThroughput,
  restThroughput,
  dispatcherTick,
];
