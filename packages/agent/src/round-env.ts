/** Who the CLI runs as and where the town is: what `tt` inside the round needs to act as this agent. */
export interface AgentIdentity {
  readonly agentId: string;
  readonly agentName: string;
  readonly town: string;
  readonly redisUrl?: string | undefined;
  readonly townhallUrl?: string | undefined;
}

/**
 * The child's environment: inherited, then the CLI's own `env` table, then Tinytown's identity last so a
 * config table can never make an agent act under another agent's name.
 */
export function buildRoundEnv(
  identity: AgentIdentity,
  cliEnv: Readonly<Record<string, string>> = {},
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, cliEnv);
  env.TINYTOWN_AGENT_ID = identity.agentId;
  env.TINYTOWN_AGENT_NAME = identity.agentName;
  env.TINYTOWN_TOWN = identity.town;
  if (identity.redisUrl !== undefined) env.REDIS_URL = identity.redisUrl;
  if (identity.townhallUrl !== undefined) env.TINYTOWN_TOWNHALL_URL = identity.townhallUrl;
  return env;
}
