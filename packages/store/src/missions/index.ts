export {
  MISSION_EVENTS_MAX,
  type MissionCommit,
  type MissionSnapshot,
  Missions,
  type MissionTaskDraft,
  type WorkCounts,
} from './missions.js';
