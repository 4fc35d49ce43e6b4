export {
  type Address,
  Agents,
  type AgentWithQueues,
  CONDUCTOR_ADDRESS,
  type RegisterAgentInput,
  type Roster,
  type RosterListing,
  type TransitionResult,
} from './agents.js';
export { Backlog, type ClaimResult } from './backlog.js';
export { CONFIG_FILE_NAME, describeIssues, type LoadedTownConfig, loadTownConfig } from './config-file.js';
export {
  type ConnectionOptions,
  connectRedis,
  MIN_REDIS_VERSION,
  openRedis,
  parseRedisUrl,
  parseRedisVersion,
  redactRedisUrl,
} from './connection.js';
export {
  DEFAULT_SETTINGS,
  StoreContext,
  type StoreSettings,
  type StoreSettingsInput,
} from './context.js';
export { redisCall, toStoreError } from './errors.js';
export { type EventSource, Events } from './events.js';
export { type TownKeys, townKeys } from './keys.js';
export {
  checkRedisServerBinary,
  type LocalRedis,
  type LocalRedisPaths,
  localRedisPaths,
  startLocalRedis,
  stopLocalRedis,
} from './local-redis.js';
export { newMessage, taskAssignMessage } from './message-factory.js';
export { type InboxView, Messages, type SendInput, type SendResult } from './messages.js';
export * from './missions/index.js';
export {
  DISPATCHER_FRESH_MS,
  type DispatcherState,
  type EvictionRisk,
  evictionAdvice,
  Probes,
  WORKER_FORGET_MS,
} from './probes.js';
export {
  type OrphanAction,
  type OrphanReason,
  type OrphanTask,
  type ReclaimableWork,
  type ReclaimDestination,
  type ReclaimResult,
  type RecoverResult,
  Recovery,
} from './recovery.js';
export {
  type AgentSnapshot,
  exportTown,
  type ImportResult,
  importTown,
  type TownSnapshot,
} from './snapshot.js';
export { type ActingAgent, type AssignResult, Tasks } from './tasks.js';
export { type ConnectTownOptions, Town } from './town.js';
