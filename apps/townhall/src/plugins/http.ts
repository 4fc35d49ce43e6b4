import type { App } from '../context.js';
import { HttpProblem } from '../problem.js';

const DOCS_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const CORS_METHODS = 'GET, POST, DELETE, OPTIONS';
const CORS_HEADERS = 'authorization, content-type, x-api-key, x-request-id';

/** Shutdown state shared with the hooks: once closing, new requests get 503 and connections close. */
export interface Lifecycle {
  closing: boolean;
}

/**
 * The small cross-cutting HTTP behaviours: the request id echoed on every response, CORS for the
 * configured origins only, and refusing new work while shutting down.
 */
export function registerHttpBehaviour(
  app: App,
  options: { corsOrigins: readonly string[]; lifecycle: Lifecycle },
): void {
  const origins = new Set(options.corsOrigins);
  const anyOrigin = origins.has('*');

  // Callback hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (options.lifecycle.closing) {
      reply.header('connection', 'close');
      done(
        new HttpProblem(503, 'SHUTTING_DOWN', 'The server is shutting down; retry against another instance'),
      );
      return;
    }
    const origin = origins.size > 0 ? request.headers.origin : undefined;
    if (!origin || !(anyOrigin || origins.has(origin))) {
      done();
      return;
    }
    reply.header('access-control-allow-origin', anyOrigin ? '*' : origin);
    if (!anyOrigin) reply.header('vary', 'Origin');
    reply.header(
      'access-control-expose-headers',
      'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset',
    );
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      // Answering from a callback hook ends the chain: done() is not called.
      reply
        .header('access-control-allow-methods', CORS_METHODS)
        .header('access-control-allow-headers', CORS_HEADERS)
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return;
    }
    done();
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    if (options.lifecycle.closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** Security headers for the interactive reference: register the docs routes inside `docs`. */
export function addDocsSecurityHeaders(docs: App): void {
  docs.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(DOCS_HEADERS);
    done(null, payload);
  });
}
