import { describe, expect, it } from 'vitest';
import {
  assertSafeBind,
  generateApiKey,
  hashApiKey,
  isLoopback,
  KeyVerifier,
  townhallSettings,
  verifyApiKey,
} from '../src/index.js';
import { call, expectProblem, makeConfig, useScopedKeys, useTownhall } from './support.js';

const { keys, section } = useScopedKeys();

describe('api keys', () => {
  it('hashes with scrypt and verifies in constant time', async () => {
    const key = generateApiKey();
    expect(key).toMatch(/^tt_[A-Za-z0-9_-]{43}$/);
    const hash = await hashApiKey(key);
    expect(hash).toMatch(/^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain(key);
    expect(await verifyApiKey(key, hash)).toBe(true);
    expect(await verifyApiKey(`${key}x`, hash)).toBe(false);
    expect(await verifyApiKey(key, 'argon2$nope')).toBe(false);
  });

  it('refuses malformed stored hashes at startup', () => {
    expect(() => new KeyVerifier([{ hash: 'plain-text-key', scopes: ['admin'] }])).toThrow(/scrypt/);
  });
});

describe('binding rules', () => {
  it('knows loopback addresses', () => {
    for (const bind of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopback(bind)).toBe(true);
    for (const bind of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com'])
      expect(isLoopback(bind)).toBe(false);
  });

  it('refuses to start without auth on a non-loopback bind, and api_key without keys', () => {
    const none = townhallSettings(makeConfig({ auth: { mode: 'none' } }));
    expect(() => assertSafeBind('0.0.0.0', none)).toThrow(/Refusing to listen on 0.0.0.0/);
    expect(() => assertSafeBind('127.0.0.1', none)).not.toThrow();
    const empty = townhallSettings(makeConfig({ auth: { mode: 'api_key', keys: [] } }));
    expect(() => assertSafeBind('127.0.0.1', empty)).toThrow(/at least one/);
  });
});

describe('auth on routes', () => {
  const h = useTownhall({ townhall: section });
  const as = (key: string | undefined, header: 'bearer' | 'x-api-key' = 'bearer'): Record<string, string> => {
    if (!key) return {};
    return header === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
  };

  it('keeps probes open', async () => {
    for (const path of [
      '/health',
      '/healthz',
      '/ready',
      '/readyz',
      '/metrics',
      '/api/scaling',
      '/openapi.json',
    ]) {
      expect((await call(h.base, 'GET', path)).status).toBe(200);
    }
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const none = await call(h.base, 'GET', '/v1/status');
    expectProblem(none, 401, 'UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(
      await call(h.base, 'GET', '/v1/status', { headers: as('tt_wrong') }),
      401,
      'INVALID_CREDENTIALS',
    );
    expectProblem(
      await call(h.base, 'GET', '/v1/status', { headers: { authorization: `Basic ${keys.admin}` } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('accepts Bearer and X-API-Key, and checks scopes by route class', async () => {
    let spawned = 0;
    const matrix: [string, string, () => unknown, Record<keyof typeof keys, number>][] = [
      ['GET', '/v1/agents', () => undefined, { reader: 200, writer: 403, manager: 403, admin: 200 }],
      [
        'POST',
        '/v1/backlog',
        () => ({ description: 'x' }),
        { reader: 403, writer: 201, manager: 403, admin: 201 },
      ],
      ['POST', '/v1/recover', () => undefined, { reader: 403, writer: 403, manager: 200, admin: 200 }],
      [
        'POST',
        '/v1/agents',
        () => ({ name: `n${++spawned}` }),
        { reader: 403, writer: 403, manager: 201, admin: 201 },
      ],
    ];
    for (const [method, path, body, expected] of matrix) {
      for (const who of Object.keys(keys) as (keyof typeof keys)[]) {
        for (const header of ['bearer', 'x-api-key'] as const) {
          const response = await call(h.base, method, path, { body: body(), headers: as(keys[who], header) });
          const status = expected[who];
          expect(`${who} ${header} ${method} ${path} ${response.status}`).toBe(
            `${who} ${header} ${method} ${path} ${status}`,
          );
          if (status === 403) expectProblem(response, 403, 'FORBIDDEN');
        }
      }
    }
  });

  it('never writes a key to the logs', async () => {
    await call(h.base, 'GET', '/v1/agents', { headers: as(keys.reader) });
    await call(h.base, 'GET', '/v1/agents', { headers: as(keys.writer, 'x-api-key') });
    await call(h.base, 'GET', '/v1/agents', { headers: as('tt_not-a-real-key-but-secret') });
    const logs = h.logs.join('');
    expect(logs).toContain('/v1/agents');
    expect(logs).toContain('[redacted]');
    for (const secret of [keys.reader, keys.writer, 'tt_not-a-real-key-but-secret'])
      expect(logs).not.toContain(secret);
  });
});

describe('auth attempts are limited', () => {
  const h = useTownhall({ townhall: { ...section, rate_limits: { auth: 3 } } });

  it('caps unknown-key attempts per client with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await call(h.base, 'GET', '/v1/town', { headers: { 'x-api-key': `tt_guess${i}` } })).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await call(h.base, 'GET', '/v1/town', { headers: { 'x-api-key': 'tt_guess9' } });
    expect(limited.json.detail).toMatch(
      /^Too many requests with an unknown API key from this address: 3 per 60 s; retry in \d+ s$/,
    );
  });

  it('without trust_proxy, X-Forwarded-For cannot buy a client a fresh budget', async () => {
    const guess = (from: string) =>
      call(h.base, 'GET', '/v1/town', { headers: { 'x-api-key': 'tt_guess', 'x-forwarded-for': from } });
    for (let i = 0; i < 3; i++) expect((await guess(`203.0.113.${i}`)).status).toBe(401);
    expectProblem(await guess('203.0.113.99'), 429, 'RATE_LIMITED');
  });
});

describe('behind a trusted proxy', () => {
  const h = useTownhall({ townhall: { ...section, rate_limits: { auth: 2 }, trust_proxy: ['127.0.0.1'] } });

  it('counts and logs each forwarded client on its own', async () => {
    const guess = (from: string) =>
      call(h.base, 'GET', '/v1/town', { headers: { 'x-api-key': 'tt_guess', 'x-forwarded-for': from } });
    expect((await guess('203.0.113.7')).status).toBe(401);
    expect((await guess('203.0.113.7')).status).toBe(401);
    expectProblem(await guess('203.0.113.7'), 429, 'RATE_LIMITED');
    // Another client behind the same proxy still has its budget.
    expect((await guess('198.51.100.4')).status).toBe(401);
    expect(h.logs.some((line) => line.includes('"remoteAddress":"198.51.100.4"'))).toBe(true);
  });

  it('refuses a proxy that is not an address or range', () => {
    expect(() => makeConfig({ trust_proxy: ['proxy.internal'] })).toThrow(/trust_proxy/);
  });
});
