import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'smol-toml';

/**
 * Writes one key into a TOML document as a person would: the value's line is replaced (or a line added
 * to its table, or the table added at the end), and every other line — comments, blank lines, the order
 * of keys — stays as it was. `expected` is the whole document as it must read afterwards; when the edited
 * text does not parse back to exactly that (a multi-line value, a dotted key, an inline table…), the
 * document is written out afresh instead, which is right but loses the comments.
 */
export function editTomlKey(
  text: string,
  path: readonly string[],
  expected: Record<string, unknown>,
): string {
  const edited = editedText(text, path, expected);
  if (edited !== undefined) {
    try {
      if (isDeepStrictEqual(plain(parse(edited)), plain(expected))) return edited;
    } catch {
      // not valid TOML: write it afresh below
    }
  }
  return `${stringify(expected).trimEnd()}\n`;
}

/** The value with every table an ordinary object (the parser makes them without a prototype). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const quoteKey = (key: string) => (BARE_KEY.test(key) ? key : JSON.stringify(key));

/** A table header's path: `[agent_clis."my ai"]` → ['agent_clis', 'my ai']; undefined for anything else. */
function headerPath(line: string): string[] | undefined {
  const match = /^\s*\[([^[\]]+)\]\s*(#.*)?$/.exec(line);
  if (!match?.[1]) return undefined;
  return match[1].split('.').map((part) => {
    const key = part.trim();
    return key.startsWith('"') && key.endsWith('"') ? (JSON.parse(key) as string) : key;
  });
}

/** The key of a `key = value` line, if the line is one. */
function lineKey(line: string): string | undefined {
  const match = /^\s*("(?:[^"\\]|\\.)*"|[A-Za-z0-9_-]+)\s*=/.exec(line);
  if (!match?.[1]) return undefined;
  return match[1].startsWith('"') ? (JSON.parse(match[1]) as string) : match[1];
}

/** `key = value` as TOML writes it, for a value that is not a table. */
function keyLine(key: string, value: unknown): string {
  const line = stringify({ [key]: value }).trim();
  return line.includes('\n') ? '' : line;
}

const samePath = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((part, index) => part === b[index]);

function editedText(
  text: string,
  path: readonly string[],
  expected: Record<string, unknown>,
): string | undefined {
  const key = path[path.length - 1];
  if (key === undefined) return undefined;
  const tablePath = path.slice(0, -1);
  let table: unknown = expected;
  for (const part of tablePath) table = (table as Record<string, unknown> | undefined)?.[part];
  const value = (table as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) return undefined;
  const lines = text.split('\n');

  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    // A whole table (`agent_clis.my-ai '{…}'`): appended at the end, where it cannot meet another.
    const wrapped: Record<string, unknown> = {};
    let inner = wrapped;
    for (const part of path.slice(0, -1)) {
      inner[part] = {};
      inner = inner[part] as Record<string, unknown>;
    }
    inner[key] = value;
    const body = withoutTable(lines, path).join('\n').replace(/\n*$/, '');
    return `${body}${body === '' ? '' : '\n\n'}${stringify(wrapped).trim()}\n`;
  }

  const line = keyLine(key, value);
  if (line === '') return undefined;
  let current: string[] = [];
  let lastKeyLine = -1;
  let sectionStart = tablePath.length === 0 ? 0 : -1;
  for (const [index, content] of lines.entries()) {
    // An array of tables is a section no key of ours lives in.
    const header = /^\s*\[\[/.test(content) ? ['[['] : headerPath(content);
    if (header !== undefined) {
      if (samePath(current, tablePath) && sectionStart >= 0) break;
      current = header;
      if (samePath(current, tablePath)) sectionStart = index;
      continue;
    }
    if (!samePath(current, tablePath)) continue;
    if (lineKey(content) === key) {
      lines[index] = withValue(content, line.slice(line.indexOf('=') + 1).trim());
      return lines.join('\n');
    }
    if (lineKey(content) !== undefined) lastKeyLine = index;
  }
  if (sectionStart < 0) {
    const body = text.replace(/\n*$/, '');
    const header = `[${tablePath.map(quoteKey).join('.')}]`;
    return `${body}${body === '' ? '' : '\n\n'}${header}\n${line}\n`;
  }
  const after =
    lastKeyLine >= 0 ? lastKeyLine : tablePath.length === 0 ? firstRootLine(lines) - 1 : sectionStart;
  lines.splice(after + 1, 0, line);
  return lines.join('\n');
}

/**
 * The lines without the table at `path` and its subtables, which a new value replaces whole. The comments
 * and blank lines closing such a section stay: they are about whatever follows.
 */
function withoutTable(lines: readonly string[], path: readonly string[]): string[] {
  const kept: string[] = [];
  let removing = false;
  let pending: string[] = [];
  for (const line of lines) {
    const header = /^\s*\[\[/.test(line) ? ['[['] : headerPath(line);
    if (header !== undefined) {
      const inTable = header.length >= path.length && samePath(header.slice(0, path.length), path);
      // Between two sections that both go, nothing stays.
      if (!(removing && inTable)) kept.push(...pending);
      pending = [];
      removing = inTable;
      if (!removing) kept.push(line);
      continue;
    }
    if (!removing) kept.push(line);
    else if (/^\s*(#.*)?$/.test(line)) pending.push(line);
    else pending = [];
  }
  kept.push(...pending);
  return kept;
}

/** Where a key added at the top of the document goes: after its leading comments, before any table. */
function firstRootLine(lines: readonly string[]): number {
  let index = 0;
  while (index < lines.length && /^\s*(#.*)?$/.test(lines[index] ?? '')) index += 1;
  return index;
}

/**
 * The `key = value` line with a new value, and whatever followed the old one (the spaces that align a
 * comment, the comment) as it was. A value this cannot delimit (an array, say) takes the rest of the line.
 */
function withValue(line: string, value: string): string {
  const equals = line.indexOf('=');
  const lead = /^\s*/.exec(line.slice(equals + 1))?.[0] ?? '';
  const start = equals + 1 + lead.length;
  const rest = line.slice(start);
  let end: number;
  if (rest.startsWith('"')) {
    end = 1;
    while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
    end += 1;
  } else if (rest.startsWith("'")) {
    end = rest.indexOf("'", 1) + 1;
  } else if (/^[A-Za-z0-9_.:+-]+(\s|#|$)/.test(rest)) {
    end = rest.search(/\s|#|$/);
  } else {
    end = rest.length;
  }
  const after = end <= 0 ? '' : rest.slice(end);
  return `${line.slice(0, start)}${value}${/^\s*(#.*)?$/.test(after) ? after : ''}`;
}
