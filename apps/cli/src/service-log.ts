/**
 * Turns the JSON log lines a service writes (townhall logs with pino, one object a line) into the short
 * lines a person at `tt up` reads: one line per request, `GET /v1/status 200 8.7 ms`, and other entries as
 * their message, with the level when it is not info. Lines that are not pino JSON pass through untouched.
 * A formatter holds the requests it has seen begin, so that their ends can name them.
 */
export type LogLineFormatter = (line: string) => string | undefined;

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Requests begun but not yet ended; a bound keeps a service that never logs ends from growing it. */
const MAX_OPEN_REQUESTS = 1_000;

interface PinoEntry {
  level: number;
  msg?: unknown;
  reqId?: unknown;
  req?: { method?: unknown; url?: unknown };
  res?: { statusCode?: unknown };
  responseTime?: unknown;
  err?: { message?: unknown };
}

function parseEntry(line: string): PinoEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && typeof (value as PinoEntry).level === 'number'
      ? (value as PinoEntry)
      : undefined;
  } catch {
    return undefined;
  }
}

export function createLogLineFormatter(): LogLineFormatter {
  const open = new Map<string, string>();
  return (line) => {
    const entry = parseEntry(line);
    if (!entry) return line;
    const reqId = typeof entry.reqId === 'string' ? entry.reqId : undefined;
    if (reqId && entry.req && entry.msg === 'incoming request') {
      if (open.size >= MAX_OPEN_REQUESTS) open.clear();
      open.set(reqId, `${String(entry.req.method)} ${String(entry.req.url)}`);
      return undefined;
    }
    const level = LEVELS[entry.level];
    const prefix = level ? `${level} ` : '';
    if (reqId && entry.msg === 'request completed' && typeof entry.res?.statusCode === 'number') {
      const request = open.get(reqId) ?? 'request';
      open.delete(reqId);
      const took = typeof entry.responseTime === 'number' ? ` ${entry.responseTime.toFixed(1)} ms` : '';
      return `${prefix}${request} ${entry.res.statusCode}${took}`;
    }
    const message = typeof entry.msg === 'string' ? entry.msg : '';
    const cause = entry.err?.message;
    const error = typeof cause === 'string' && cause !== message ? `: ${cause}` : '';
    return `${prefix}${message}${error}`;
  };
}
