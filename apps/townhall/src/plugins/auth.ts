import { isIP } from 'node:net';
import { SCOPES, TinytownError } from '@tinytown/core';
import type { FastifyRequest } from 'fastify';
import { hasScope, KeyVerifier } from '../auth/keys.js';
import { type App, type Principal, REQUIRED_SCOPE, type TownhallSettings } from '../context.js';
import { HttpProblem } from '../problem.js';
import type { RateLimiter } from './rate-limit.js';

const LOCAL: Principal = { name: 'local', scopes: SCOPES };

/** Loopback addresses and `localhost`: the only binds where auth mode `none` is allowed. */
export function isLoopback(bind: string): boolean {
  const host = bind.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || host.startsWith('::ffff:127.');
  return false;
}

/** Refuses to serve the town without authentication anywhere but loopback. */
export function assertSafeBind(bind: string, settings: TownhallSettings): void {
  if (settings.auth.mode === 'none' && !isLoopback(bind)) {
    throw new TinytownError(
      'CONFIG_INVALID',
      `Refusing to listen on ${bind} with [townhall.auth] mode = "none": anyone who can reach it could control the town. Bind to 127.0.0.1, or set mode = "api_key" and add keys ('townhall keys create' prints them for tinytown.toml and for TINYTOWN_TOWNHALL_KEYS).`,
      { field: 'townhall.auth.mode' },
    );
  }
  if (settings.auth.mode === 'api_key' && settings.auth.keys.length === 0) {
    throw new TinytownError(
      'CONFIG_INVALID',
      '[townhall.auth] mode = "api_key" needs at least one [[townhall.auth.keys]] entry (create one with \'townhall keys create\')',
      { field: 'townhall.auth.keys' },
    );
  }
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ \t]+(.+)$/i.exec(authorization.trim());
    if (match?.[1]) return match[1].trim();
  }
  const header = request.headers['x-api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || undefined;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="townhall"' };

/**
 * Authenticates and authorises each request by its route class: probes are open, reads need
 * town.read, task/backlog/message writes town.write, agent lifecycle and recovery agent.manage; admin
 * implies every scope.
 */
export function registerAuth(app: App, settings: TownhallSettings, limiter: RateLimiter): void {
  if (settings.auth.mode !== 'api_key') {
    // Every caller is the local operator; a callback hook, so this costs no promise per request.
    app.addHook('onRequest', (request, _reply, done) => {
      if (REQUIRED_SCOPE[request.routeOptions.config.routeClass ?? 'probe']) request.principal = LOCAL;
      done();
    });
    return;
  }
  const verifier = new KeyVerifier(settings.auth.keys);
  app.addHook('onRequest', async (request) => {
    const routeClass = request.routeOptions.config.routeClass ?? 'probe';
    const scope = REQUIRED_SCOPE[routeClass];
    if (!scope) return;
    const key = presentedKey(request);
    if (!key) {
      throw new HttpProblem(
        401,
        'UNAUTHENTICATED',
        'This route needs an API key: send Authorization: Bearer <key> or X-API-Key: <key>',
        CHALLENGE,
      );
    }
    // Unknown keys cost a scrypt each: cap how many a client may try.
    if (!verifier.isKnown(key)) await limiter.enforce(request, 'auth', `auth:${request.ip}`);
    const principal = await verifier.verify(key);
    if (!principal) throw new HttpProblem(401, 'INVALID_CREDENTIALS', 'The API key is not valid', CHALLENGE);
    if (!hasScope(principal, scope)) {
      throw new HttpProblem(403, 'FORBIDDEN', `The API key '${principal.name}' lacks the '${scope}' scope`);
    }
    request.principal = principal;
  });
}
