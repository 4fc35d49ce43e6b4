import { describe, expect, it } from 'vitest';
import { createLogLineFormatter } from '../src/service-log.js';

const line = (entry: Record<string, unknown>) =>
  JSON.stringify({ time: 1, pid: 2, hostname: 'vm', ...entry });

describe('tt up log lines', () => {
  it('shows a request as one line, named by its start, when it completes', () => {
    const format = createLogLineFormatter();
    const incoming = line({
      level: 30,
      reqId: 'r1',
      req: { method: 'GET', url: '/v1/status', headers: { authorization: 'Bearer x' } },
      msg: 'incoming request',
    });
    expect(format(incoming)).toBeUndefined();
    const completed = line({
      level: 30,
      reqId: 'r1',
      res: { statusCode: 200 },
      responseTime: 8.7512,
      msg: 'request completed',
    });
    expect(format(completed)).toBe('GET /v1/status 200 8.8 ms');
  });

  it('keeps interleaved requests apart', () => {
    const format = createLogLineFormatter();
    format(line({ level: 30, reqId: 'a', req: { method: 'GET', url: '/a' }, msg: 'incoming request' }));
    format(line({ level: 30, reqId: 'b', req: { method: 'POST', url: '/b' }, msg: 'incoming request' }));
    const end = (reqId: string, statusCode: number) =>
      format(line({ level: 30, reqId, res: { statusCode }, responseTime: 1, msg: 'request completed' }));
    expect(end('b', 201)).toBe('POST /b 201 1.0 ms');
    expect(end('a', 404)).toBe('GET /a 404 1.0 ms');
  });

  it('names levels above info, and the error behind an entry', () => {
    const format = createLogLineFormatter();
    expect(format(line({ level: 40, msg: 'Redis is slow' }))).toBe('WARN Redis is slow');
    expect(
      format(
        line({ level: 50, reqId: 'c', res: { statusCode: 500 }, err: { message: 'boom' }, msg: 'failed' }),
      ),
    ).toBe('ERROR failed: boom');
    expect(format(line({ level: 50, err: { message: 'boom' }, msg: 'boom' }))).toBe('ERROR boom');
    expect(format(line({ level: 30, msg: 'townhall stopped' }))).toBe('townhall stopped');
  });

  it('passes other lines through untouched', () => {
    const format = createLogLineFormatter();
    expect(format('tinytown-worker: SIGINT, finishing the current pass')).toBe(
      'tinytown-worker: SIGINT, finishing the current pass',
    );
    expect(format('{"not":"pino"}')).toBe('{"not":"pino"}');
    expect(format('{broken')).toBe('{broken');
  });
});
