import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runWithClosedStdout, startTestRedis, useTestRedis } from '@tinytown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { call, expectProblem } from './support.js';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function townDir(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tt-townhall-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tinytown.toml'), toml);
  return dir;
}

/** Starts the built `townhall rest` bin on a free port and waits for its ready line. */
function startBin(
  dir: string,
  redisUrl: string,
  extraEnv: Record<string, string> = {},
  args = ['--port', '0'],
): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'rest', '--town', dir, ...args], {
    env: { ...process.env, REDIS_URL: redisUrl, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`townhall did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /townhall ready at (http:\/\/[^"\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`townhall exited with ${code}:\n${output}`));
    });
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the townhall bin', () => {
  const redis = useTestRedis();

  it('ends quietly when its reader closes the pipe early (townhall openapi | head)', async () => {
    for (const args of [['openapi'], ['--help']]) {
      const { code, stderr } = await runWithClosedStdout(BIN, args);
      expect(stderr, args.join(' ')).not.toContain('EPIPE');
      expect(code).toBe(0);
    }
  });

  it('prints help, and a new key with the lines to paste', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('townhall rest');
    const created = spawnSync(
      process.execPath,
      [BIN, 'keys', 'create', '--scopes', 'town.read,town.write', '--name', 'ci'],
      {
        encoding: 'utf8',
      },
    );
    expect(created.status).toBe(0);
    const key = /^ {2}(tt_\S+)$/m.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(created.stdout).toContain('[[townhall.auth.keys]]');
    expect(created.stdout).toMatch(/hash = "scrypt\$/);
    expect(created.stdout).toContain('scopes = ["town.read", "town.write"]');
    expect(created.stdout).toContain('TINYTOWN_TOWNHALL_KEYS=');
    const bad = spawnSync(process.execPath, [BIN, 'keys', 'create', '--scopes', 'everything'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown scope 'everything'");
    for (const args of [
      ['keys', '--help'],
      ['keys', 'create', '--help'],
    ]) {
      const keysHelp = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
      expect(keysHelp.status, args.join(' ')).toBe(0);
      expect(keysHelp.stdout).toMatch(/^Usage: townhall keys create --scopes/);
      expect(keysHelp.stdout).toContain('town.read, town.write, agent.manage, admin');
    }
    const bare = spawnSync(process.execPath, [BIN, 'keys'], { encoding: 'utf8' });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^townhall: keys: name a command; try 'townhall keys create/);
  });

  it('says how to set a town up when there is none, and refuses an open non-loopback bind', () => {
    const empty = mkdtempSync(join(tmpdir(), 'tt-empty-'));
    dirs.push(empty);
    const env = { ...process.env, TINYTOWN_TOWN: '', REDIS_URL: redis.current.url };
    const missing = spawnSync(process.execPath, [BIN, 'rest', '--town', empty], { encoding: 'utf8', env });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('tt init');
    const open = spawnSync(
      process.execPath,
      [BIN, 'rest', '--town', townDir('name = "hall"\n'), '--bind', '0.0.0.0'],
      {
        encoding: 'utf8',
        env,
      },
    );
    expect(open.status).toBe(1);
    expect(open.stderr).toContain('Refusing to listen on 0.0.0.0');
  });

  it('says plainly, without a stack, that its port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (holder.address() as AddressInfo).port;
      const taken = spawnSync(
        process.execPath,
        [BIN, 'rest', '--town', townDir('name = "hall"\n'), '--port', String(port)],
        { encoding: 'utf8', env: { ...process.env, REDIS_URL: redis.current.url } },
      );
      expect(taken.status).toBe(1);
      expect(taken.stderr).toBe(
        `townhall: Port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with --port (or [townhall] rest_port) [CONFIG_INVALID]\n`,
      );
    } finally {
      holder.close();
    }
  });

  it('runs from the environment alone, with keys from TINYTOWN_TOWNHALL_KEYS', async () => {
    const created = spawnSync(process.execPath, [BIN, 'keys', 'create', '--scopes', 'admin'], {
      encoding: 'utf8',
    });
    const key = /^ {2}(tt_\S+)$/m.exec(created.stdout)?.[1] ?? '';
    const keysEnv = /^TINYTOWN_TOWNHALL_KEYS='(.*)'$/m.exec(created.stdout)?.[1] ?? '';
    const empty = mkdtempSync(join(tmpdir(), 'tt-env-'));
    dirs.push(empty);
    const server = await startBin(empty, redis.current.url, {
      TINYTOWN_TOWN: 'envtown',
      TINYTOWN_TOWNHALL_KEYS: keysEnv,
    });
    expectProblem(await call(server.url, 'GET', '/v1/town'), 401, 'UNAUTHENTICATED');
    const town = await call(server.url, 'GET', '/v1/town', { headers: { authorization: `Bearer ${key}` } });
    expect(town.json).toMatchObject({ name: 'envtown', root: empty });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toContain(key);
  });

  it('listens where TINYTOWN_TOWNHALL_BIND and TINYTOWN_TOWNHALL_PORT say, under the flags', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tt-env-'));
    dirs.push(empty);
    const port = await freePort();
    const env = {
      TINYTOWN_TOWN: 'envtown',
      TINYTOWN_TOWNHALL_BIND: '127.0.0.2',
      TINYTOWN_TOWNHALL_PORT: `${port}`,
    };
    const server = await startBin(empty, redis.current.url, env, []);
    expect(server.url).toBe(`http://127.0.0.2:${port}`);
    expect((await call(server.url, 'GET', '/v1/town')).json).toMatchObject({ name: 'envtown' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const flagged = await startBin(empty, redis.current.url, env, ['--bind', '127.0.0.1', '--port', '0']);
    expect(flagged.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    flagged.child.kill('SIGTERM');
    expect(await flagged.exited).toBe(0);
    const refused = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [BIN, 'rest', '--town', empty], {
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL: redis.current.url, ...env, ...extra },
      });
    const badPort = refused({ TINYTOWN_TOWNHALL_PORT: '80a' });
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toBe(
      "townhall: TINYTOWN_TOWNHALL_PORT must be a port number 0-65535, got '80a' [CONFIG_INVALID]\n",
    );
    const hint =
      '(TINYTOWN_TOWNHALL_KEYS is a JSON array of {"name","hash","scopes"} objects, as \'townhall keys create\' prints it) [CONFIG_INVALID]\n';
    const notArray = refused({ TINYTOWN_TOWNHALL_KEYS: '{"name":"ci"}' });
    expect(notArray.status).toBe(1);
    expect(notArray.stderr).toBe(
      `townhall: Invalid TINYTOWN_TOWNHALL_KEYS: (top level): Invalid input: expected array, received object ${hint}`,
    );
    const noScopes = refused({ TINYTOWN_TOWNHALL_KEYS: '[{"name":"ci","hash":"scrypt$a$b"}]' });
    expect(noScopes.stderr).toBe(
      `townhall: Invalid TINYTOWN_TOWNHALL_KEYS: 0.scopes: Invalid input: expected array, received undefined ${hint}`,
    );
    const notJson = refused({ TINYTOWN_TOWNHALL_KEYS: "[{name:'ci'}]" });
    expect(notJson.stderr).toMatch(/^townhall: Invalid TINYTOWN_TOWNHALL_KEYS: not JSON: /);
    const open = refused({ TINYTOWN_TOWNHALL_BIND: '0.0.0.0' });
    expect(open.status).toBe(1);
    expect(open.stderr).toContain('Refusing to listen on 0.0.0.0');
    expect(open.stderr).toContain('TINYTOWN_TOWNHALL_KEYS');
  });

  it('logs a lost Redis connection once, and again when it is back', async () => {
    const own = await startTestRedis();
    try {
      const server = await startBin(townDir('name = "outage"\n'), own.url);
      const logged = async (pattern: RegExp) => {
        const deadline = Date.now() + 10_000;
        while (!pattern.test(server.output())) {
          if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${server.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await own.crash();
      await logged(/"level":40,[^\n]*"msg":"lost the Redis connection; reconnecting"/);
      await own.restart();
      await logged(/"level":30,[^\n]*"down_ms":\d+[^\n]*"msg":"the Redis connection is back"/);
      expect(server.output().match(/lost the Redis connection/g)).toHaveLength(1);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('answers 503 at once while Redis stays down, and serves again once it is back', async () => {
    const own = await startTestRedis();
    try {
      const server = await startBin(townDir('name = "outage"\n'), own.url);
      await own.crash();
      // Long enough for the reconnect back-off to grow past a second between attempts.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      for (const [method, path] of [
        ['GET', '/v1/agents'],
        ['POST', '/v1/backlog'],
      ] as const) {
        const started = Date.now();
        const response = await call(
          server.url,
          method,
          path,
          method === 'POST' ? { body: { description: 'x' } } : {},
        );
        expectProblem(response, 503, 'REDIS_UNAVAILABLE');
        expect(response.json.detail).toBe('Redis is unavailable: the connection is down; reconnecting');
        expect(Date.now() - started, `${method} ${path}`).toBeLessThan(1_000);
      }
      const started = Date.now();
      expect((await call(server.url, 'GET', '/ready')).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1_000);
      await own.restart();
      const deadline = Date.now() + 10_000;
      while ((await call(server.url, 'GET', '/ready')).status !== 200) {
        if (Date.now() > deadline) throw new Error(`never ready again:\n${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await call(server.url, 'GET', '/v1/agents')).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await own.stop();
    }
  }, 30_000);

  it('shares one rate-limit budget between two processes on one Redis', async () => {
    const dir = townDir('name = "hall"\n[townhall.rate_limits]\nread = 5\nwrite = 0\n');
    const [a, b] = await Promise.all([startBin(dir, redis.current.url), startBin(dir, redis.current.url)]);
    if (!a || !b) throw new Error('not started');
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 8; i++) {
      const response = await call(i % 2 === 0 ? a.url : b.url, 'GET', '/v1/agents');
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else expect(response.headers.get('ratelimit-limit')).toBe('5');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    if (!limited) throw new Error('never limited');
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    // Other classes keep their own budget, and 0 turns a class's limit off.
    for (let i = 0; i < 8; i++) {
      const added = await call(i % 2 === 0 ? a.url : b.url, 'POST', '/v1/backlog', {
        body: { description: 'x' },
      });
      expect(added.status).toBe(201);
      expect(added.headers.get('ratelimit-limit')).toBeNull();
    }
    expect((await call(b.url, 'GET', '/health')).status).toBe(200);
  });

  it('finishes 50 in-flight requests on SIGTERM, then exits 0', async () => {
    const dir = townDir('name = "hall"\n');
    const server = await startBin(dir, redis.current.url);
    const { hostname, port } = new URL(server.url);
    const started = Date.now();
    const pending = Array.from({ length: 50 }, (_, i) => {
      const body = JSON.stringify({ description: `in flight ${i}` });
      let finish: () => void = () => undefined;
      const done = new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: hostname,
            port,
            method: 'POST',
            path: '/v1/backlog',
            agent: false,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        // Headers and half the body now; the rest after the signal.
        req.write(body.slice(0, 10));
        finish = () => req.end(body.slice(10));
      });
      return { done, finish: () => finish() };
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const item of pending) item.finish();
    const statuses = await Promise.all(pending.map((item) => item.done));
    expect(statuses).toEqual(Array.from({ length: 50 }, () => 201));
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await redis.current.client.llen('tt:{hall}:backlog')).toBe(50);
    expect(server.output()).toContain('townhall stopped');
  });

  it('exits 0 on SIGTERM when nothing reads its logs any more (a supervisor killed outright)', async () => {
    // The hang this guards against was a race at exit, so several servers make it show reliably.
    const servers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        startBin(townDir(`name = "orphan${i}"\n`), redis.current.url, {}, [
          '--port',
          '0',
          '--log-level',
          'trace',
        ]),
      ),
    );
    for (const server of servers) {
      server.child.stdout?.destroy();
      server.child.stderr?.destroy();
      server.child.kill('SIGTERM');
    }
    const codes = await Promise.all(
      servers.map((server) =>
        Promise.race([
          server.exited,
          new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
        ]),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
  });
});
