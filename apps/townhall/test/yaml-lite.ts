/**
 * Just enough YAML to read an OpenAPI document written in block style: nested mappings, `- ` lists,
 * flow lists (`[a, b]`), quoted and plain scalars, and `|`/`>` block scalars. Not a general parser.
 */
type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
}

function scalar(raw: string): Yaml {
  const text = raw.trim();
  if (text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1).replaceAll("''", "'");
  if (text.startsWith('"') && text.endsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((part) => scalar(part));
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~' || text === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Splits `key: value` (keys may be quoted, like '200'). */
function splitKey(text: string): [string, string] | undefined {
  const match = /^('[^']*'|"[^"]*"|[^:\s][^:]*?):(?:\s+(.*))?$/.exec(text);
  if (!match) return undefined;
  const key = match[1] ?? '';
  return [String(scalar(key)), match[2] ?? ''];
}

export function parseYaml(source: string): Yaml {
  const lines: Line[] = [];
  for (const raw of source.split('\n')) {
    const stripped = raw.replace(/\s+$/, '');
    if (stripped.trim() === '' || stripped.trim().startsWith('#')) {
      lines.push({ indent: -1, text: '' });
      continue;
    }
    lines.push({ indent: stripped.length - stripped.trimStart().length, text: stripped.trim() });
  }
  let at = 0;
  const skipBlank = () => {
    while (at < lines.length && lines[at]?.indent === -1) at++;
  };

  function blockScalar(parentIndent: number, folded: boolean): string {
    const parts: string[] = [];
    let blockIndent = -1;
    while (at < lines.length) {
      const line = lines[at];
      if (!line) break;
      if (line.indent === -1) {
        parts.push('');
        at++;
        continue;
      }
      if (line.indent <= parentIndent) break;
      if (blockIndent < 0) blockIndent = line.indent;
      parts.push(`${' '.repeat(line.indent - blockIndent)}${line.text}`);
      at++;
    }
    while (parts.at(-1) === '') parts.pop();
    return folded ? `${parts.join(' ')}\n` : `${parts.join('\n')}\n`;
  }

  function value(rest: string, indent: number): Yaml {
    if (rest === '|' || rest === '|-' || rest === '>' || rest === '>-')
      return blockScalar(indent, rest.startsWith('>'));
    if (rest !== '') return scalar(rest);
    skipBlank();
    const next = lines[at];
    if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) return null;
    return block(next.indent);
  }

  function block(indent: number): Yaml {
    skipBlank();
    const first = lines[at];
    if (first?.text.startsWith('- ') || first?.text === '-') {
      const list: Yaml[] = [];
      while (true) {
        skipBlank();
        const line = lines[at];
        if (!line || line.indent !== indent || !(line.text.startsWith('- ') || line.text === '-')) break;
        const itemText = line.text.slice(2).trim();
        const pair = splitKey(itemText);
        if (pair && !itemText.startsWith("'") && !itemText.startsWith('"')) {
          // A mapping item: its first key is on the dash line, the rest are indented past the dash.
          lines[at] = { indent: indent + 2, text: itemText };
          list.push(block(indent + 2));
        } else {
          at++;
          list.push(scalar(itemText));
        }
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (true) {
      skipBlank();
      const line = lines[at];
      if (!line || line.indent !== indent) break;
      const pair = splitKey(line.text);
      if (!pair) throw new Error(`cannot read line ${at + 1}: ${line.text}`);
      at++;
      map[pair[0]] = value(pair[1], indent);
    }
    return map;
  }

  return block(0);
}
