import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTinytownClient,
  TinytownApiError,
  TinytownClientError,
  TinytownNetworkError,
  TinytownResponseError,
  TinytownTimeoutError,
} from '../src/index.js';

/** A real HTTP server whose behaviour each test scripts; it records what reached it. */
async function serve(
  handler: (req: IncomingMessage, res: import('node:http').ServerResponse, hit: number) => void,
) {
  let hits = 0;
  const requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  const server: Server = createServer((req, res) => {
    hits += 1;
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, hits);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('transport', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('throws TinytownApiError with the problem details of a non-2xx answer', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: 'Agent not found: x',
          code: 'AGENT_NOT_FOUND',
        }),
      );
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, apiKey: 'tt_secret' });
    const error = await client.agents.kill('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinytownApiError);
    expect(error).toMatchObject({
      status: 404,
      code: 'AGENT_NOT_FOUND',
      title: 'Not Found',
      detail: 'Agent not found: x',
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer tt_secret');
  });

  it('a proxy error page (HTML 502) is a one-line TinytownApiError with the page kept in problem.body', async () => {
    const page =
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    const server = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(page);
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, getAttempts: 1 });
    const error = await client.town.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinytownApiError);
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', title: 'Bad Gateway', detail: undefined });
    expect((error as TinytownApiError).message).toBe(
      `GET ${server.url}/v1/town failed with 502: Bad Gateway`,
    );
    expect((error as TinytownApiError).problem.body).toBe(page);
  });

  it('a JSON error that is not a problem document does not leak objects into the message', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, 'Service Unavailable', { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: { reason: 'maintenance' }, title: 7 }));
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, getAttempts: 1 });
    const error = await client.town.get().catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 503,
      code: 'HTTP_503',
      title: 'Service Unavailable',
      detail: undefined,
    });
    expect((error as TinytownApiError).message).toBe(
      `GET ${server.url}/v1/town failed with 503: Service Unavailable`,
    );
  });

  it('retries a GET whose connection dropped, with back-off, and then succeeds', async () => {
    const server = await serve((req, res, hit) => {
      if (hit < 3) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'town', root: '/', redis_url: 'redis://' }));
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url });
    expect(await client.town.get()).toEqual({ name: 'town', root: '/', redis_url: 'redis://' });
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a write: one attempt, then TinytownNetworkError', async () => {
    const server = await serve((req) => req.socket.destroy());
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url });
    const error = await client.backlog.add({ description: 'once' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinytownNetworkError);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the timeout with TinytownTimeoutError', async () => {
    const server = await serve(() => {
      /* never answers */
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, timeoutMs: 150, getAttempts: 1 });
    await expect(client.agents.list()).rejects.toBeInstanceOf(TinytownTimeoutError);
  });

  it('a 2xx that is not JSON (a proxy page) is a TinytownResponseError, not a SyntaxError', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Sign in to the proxy</body></html>');
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url });
    const error = await client.agents.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinytownResponseError);
    expect(error).toBeInstanceOf(TinytownClientError);
    expect(error).toMatchObject({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: '<html><body>Sign in to the proxy</body></html>',
      method: 'GET',
    });
    await expect(client.raw.GET('/v1/agents')).rejects.toBeInstanceOf(TinytownResponseError);
    // A text endpoint asks for text: not an error.
    expect(await client.health.metrics()).toContain('Sign in');
  });

  it('a 2xx with an empty body is a TinytownResponseError from the friendly methods, not undefined', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.end();
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url });
    const error = await client.agents.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinytownResponseError);
    expect(error).toMatchObject({ status: 200, body: '', method: 'GET', url: `${server.url}/v1/agents` });
    await expect(client.tasks.assign({ agent: 'a', task: 'x' })).rejects.toMatchObject({ method: 'POST' });
    // raw hands the response back as openapi-fetch does: no document, `data` undefined.
    expect((await client.raw.GET('/v1/agents')).data).toBeUndefined();
  });

  it('a body that stalls past the timeout is a TinytownTimeoutError', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"tasks":[');
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, timeoutMs: 150, getAttempts: 1 });
    await expect(client.tasks.list()).rejects.toBeInstanceOf(TinytownTimeoutError);
  });

  it('a body cut off mid-way is a TinytownNetworkError (after the GET is retried)', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"tasks":[', () => req.socket.destroy());
    });
    cleanups.push(server.close);
    const client = createTinytownClient({ baseUrl: server.url, getAttempts: 2 });
    await expect(client.tasks.list()).rejects.toBeInstanceOf(TinytownNetworkError);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused connection as TinytownNetworkError after the GET attempts', async () => {
    const client = createTinytownClient({ baseUrl: 'http://127.0.0.1:1', getAttempts: 2 });
    await expect(client.agents.list()).rejects.toBeInstanceOf(TinytownNetworkError);
  });
});
