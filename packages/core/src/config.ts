import { z } from 'zod';
import { NAME_PATTERN } from './names.js';

export const SCOPES = ['town.read', 'town.write', 'agent.manage', 'admin'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

export const AgentCliConfig = z
  .object({
    name: z.string().optional(),
    command: z.string().min(1),
    /** How the prompt reaches the CLI: on stdin, or as a file path after this flag. */
    prompt_flag: z.string().optional(),
    workdir: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type AgentCliConfig = z.infer<typeof AgentCliConfig>;
/** An entry as a caller may write it: `env` defaults to none. */
export type AgentCliConfigInput = z.input<typeof AgentCliConfig>;

export const ApiKeyEntry = z
  .object({
    /** `scrypt$<salt b64>$<hash b64>`, as printed by `townhall keys create`. */
    hash: z.string().min(1),
    scopes: z.array(Scope).min(1),
    name: z.string().optional(),
  })
  .strict();
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/** A trusted proxy: an address, a CIDR range, or one of the named ranges proxy-addr knows. */
const ProxyAddress = z.union([
  z.ipv4(),
  z.ipv6(),
  z.cidrv4(),
  z.cidrv6(),
  z.enum(['loopback', 'linklocal', 'uniquelocal']),
]);

export const TownConfig = z
  .object({
    name: z.string().regex(NAME_PATTERN, 'use 1-64 letters, digits, ".", "_" or "-"'),
    default_cli: z.string().default('claude'),
    conductor_cli: z.string().optional(),
    max_agents: z.number().int().positive().default(10),
    agent: z
      .object({
        idle_timeout_secs: z.number().int().nonnegative().default(300),
        round_timeout_secs: z.number().int().positive().default(1800),
        max_rounds: z.number().int().positive().default(10),
        lease_secs: z.number().int().positive().default(30),
        auto_claim: z.boolean().default(false),
        keep_round_logs: z.number().int().positive().default(200),
      })
      .strict()
      .default({
        idle_timeout_secs: 300,
        round_timeout_secs: 1800,
        max_rounds: 10,
        lease_secs: 30,
        auto_claim: false,
        keep_round_logs: 200,
      }),
    agent_clis: z.record(z.string(), AgentCliConfig).default({}),
    redis: z
      .object({
        url: z.string().optional(),
        socket_path: z.string().default('.tt/redis.sock'),
      })
      .strict()
      .default({ socket_path: '.tt/redis.sock' }),
    townhall: z
      .object({
        bind: z.string().default('127.0.0.1'),
        rest_port: z.number().int().min(0).max(65535).default(8080),
        request_timeout_ms: z.number().int().positive().default(30000),
        body_limit_bytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        cors_origins: z.array(z.string()).default([]),
        auth: z
          .object({
            mode: z.enum(['none', 'api_key']).default('none'),
            keys: z.array(ApiKeyEntry).default([]),
          })
          .strict()
          .default({ mode: 'none', keys: [] }),
        /** Requests per window per client, by route class; 0 turns a class's limit off. */
        rate_limits: z.record(z.string(), z.number().int().nonnegative()).default({}),
        /**
         * Behind a reverse proxy, whose X-Forwarded-For names the client (for per-address limits and
         * logs): `false` the socket's peer is the client; a list of the proxies' addresses or CIDRs; `true`
         * every hop (only when nothing reaches townhall but the proxy).
         */
        trust_proxy: z
          .union([z.boolean(), z.array(ProxyAddress).min(1)], {
            error:
              'use true, false, or a list of proxy addresses and ranges (10.0.0.0/8, ::1, loopback, linklocal, uniquelocal)',
          })
          .default(false),
      })
      .strict()
      .optional(),
  })
  .strict();
export type TownConfig = z.infer<typeof TownConfig>;
export type TownConfigInput = z.input<typeof TownConfig>;

/**
 * Defaults for every town a user creates on this machine (`~/.tt/config.toml`): `tt init` writes them into
 * the new town's tinytown.toml, so a town never depends on the machine it was created on.
 */
export const MachineConfig = z
  .object({
    default_cli: z.string().min(1).optional(),
    conductor_cli: z.string().min(1).optional(),
    agent_clis: z.record(z.string(), AgentCliConfig).default({}),
  })
  .strict();
export type MachineConfig = z.infer<typeof MachineConfig>;

/**
 * Whether `path` names a setting of a config `schema` (`redis.url`, `agent_clis.<any name>.command`), set
 * or not: what tells an unset key from a misspelt one.
 */
export function hasConfigKey(schema: z.ZodType, path: readonly string[]): boolean {
  let current: z.ZodType = schema;
  for (const part of path) {
    while (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    }
    if (current instanceof z.ZodObject) {
      const next = (current.shape as Record<string, z.ZodType | undefined>)[part];
      if (!next) return false;
      current = next;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else {
      return false;
    }
  }
  return true;
}
