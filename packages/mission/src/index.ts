export * from './compiler/compile.js';
export { parseDependencies } from './compiler/dependencies.js';
export { type DocObjectiveFile, firstHeading, MAX_DOC_BYTES, readDocObjective } from './compiler/doc.js';
export { findCycle, type GraphNode, topologicalOrder } from './compiler/graph.js';
export { type IssueText, inferKind, inferOwnerRole } from './compiler/infer.js';
export {
  needsDefaultRepo,
  parseObjectiveInput,
  parseRepo,
  type RepoRef,
  repoFromRemoteUrl,
} from './compiler/objective-input.js';
export * from './engine/index.js';
export type * from './forge/forge.js';
export { createGitHubForge, GITHUB_API_URL, GitHubForge, type GitHubForgeOptions } from './forge/github.js';
export {
  type ExtractPrRefsOptions,
  extractPrRefs,
  formatRef,
  parsePrRef,
  refKey,
  requirePrRef,
} from './forge/pr-ref.js';
export { parseReviewVerdict, type ReviewVerdict } from './review/review-verdict.js';
export * from './scheduler/scoring.js';
export * from './watches/evaluate.js';
export * from './watches/schedule.js';
export { fetchPrSnapshot } from './watches/snapshot.js';
