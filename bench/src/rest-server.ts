import { readFile } from 'node:fs/promises';
import { TownConfig } from '@tinytown/core';
import { Town } from '@tinytown/store';
import { buildServer } from '@tinytown/townhall';
import Fastify from 'fastify';

/**
 * The server side of the REST scenario, run as its own process so that the load generator does not
 * share its event loop: `rest-server.ts hello` (a bare Fastify hello world), `rest-server.ts static
 * <file>` (a bare Fastify sending that file's bytes as JSON on every request) or
 * `rest-server.ts townhall <redis url> <town> [rate-limited]`. Prints `listening <url>` once ready and
 * runs until SIGTERM.
 */

async function start(
  kind: string | undefined,
  args: string[],
): Promise<{ url: string; close(): Promise<void> }> {
  if (kind === 'hello') {
    const hello = Fastify();
    hello.get('/', async () => ({ hello: 'world' }));
    const url = await hello.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => hello.close() };
  }
  if (kind === 'static') {
    const [file] = args;
    if (!file) throw new Error('usage: rest-server static <file>');
    const body = await readFile(file);
    const fixed = Fastify();
    fixed.get('/', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
    const url = await fixed.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => fixed.close() };
  }
  if (kind === 'townhall') {
    const [redisUrl, name, limited] = args;
    if (!redisUrl || !name) throw new Error('usage: rest-server townhall <redis url> <town> [rate-limited]');
    const town = await Town.connect({ url: redisUrl, town: name });
    const hall = await buildServer({
      town,
      config: TownConfig.parse({ name }),
      logger: false,
      rateLimits: limited === 'rate-limited',
    });
    const url = await hall.listen({ host: '127.0.0.1', port: 0 });
    return {
      url,
      close: async () => {
        await hall.close();
        await town.close();
      },
    };
  }
  throw new Error('usage: rest-server hello | static <file> | townhall <redis url> <town> [rate-limited]');
}

const [kind, ...rest] = process.argv.slice(2);
const server = await start(kind, rest);
process.stdout.write(`listening ${server.url}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
