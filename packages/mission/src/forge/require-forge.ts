import { TinytownError } from '@tinytown/core';
import type { Forge } from './forge.js';

/**
 * The forge `what` needs. A forge is optional wherever one is taken (MissionService, Dispatcher, the
 * worker: `null` or left out is none), since missions of design docs never read one; only what does (an
 * issue objective, a PR watch's check) fails. CONFIG_INVALID, not FORGE_ERROR: the caller left it out, so
 * no retry or outage explains it.
 */
export function requireForge(forge: Forge | null | undefined, what: string): Forge {
  if (forge) return forge;
  throw new TinytownError(
    'CONFIG_INVALID',
    `${what} needs a forge, and none was given: pass the \`forge\` option (createGitHubForge({ token }) for GitHub)`,
    { field: 'forge' },
  );
}
