import type { FastifyReply } from 'fastify';
import type { App } from '../context.js';
import { HttpProblem } from '../problem.js';

/**
 * The handler timeout: a request still unanswered `timeoutMs` after it arrived gets 503 TIMEOUT.
 *
 * Fastify's own `handlerTimeout` gives every request an AbortController and aborts it when the request
 * closes, even after a normal reply; building that DOMException was about a third of a write route's
 * CPU. Here a request costs one Map insert and one delete: the Map keeps arrival order, which with one
 * timeout is deadline order, so a periodic sweep stops at the first request still within its time.
 */
export function registerRequestTimeout(app: App, timeoutMs: number): void {
  const deadlines = new Map<FastifyReply, number>();
  const sweepEveryMs = Math.min(1000, Math.max(10, Math.floor(timeoutMs / 10)));

  const sweep = () => {
    const now = Date.now();
    for (const [reply, deadline] of deadlines) {
      if (deadline > now) break;
      deadlines.delete(reply);
      if (reply.sent || reply.raw.destroyed) continue;
      reply.send(new HttpProblem(503, 'TIMEOUT', 'The request took longer than the server allows'));
    }
  };
  const timer = setInterval(sweep, sweepEveryMs);
  timer.unref();

  app.addHook('onRequest', (_request, reply, done) => {
    deadlines.set(reply, Date.now() + timeoutMs);
    done();
  });
  app.addHook('onResponse', (_request, reply, done) => {
    deadlines.delete(reply);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(timer);
    deadlines.clear();
    done();
  });
}
