import { isDeepStrictEqual } from 'node:util';

type Json = unknown;
type Components = Record<string, Json>;

const REF_PREFIX = '#/components/schemas/';

function walk(value: Json, visit: (node: Record<string, Json>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value && typeof value === 'object') {
    visit(value as Record<string, Json>);
    for (const child of Object.values(value)) walk(child, visit);
  }
}

function renameRefs(document: Json, from: string, to: string): void {
  walk(document, (node) => {
    if (node.$ref === `${REF_PREFIX}${from}`) node.$ref = `${REF_PREFIX}${to}`;
  });
}

function referenced(document: Json): Set<string> {
  const names = new Set<string>();
  walk(document, (node) => {
    if (typeof node.$ref === 'string' && node.$ref.startsWith(REF_PREFIX))
      names.add(node.$ref.slice(REF_PREFIX.length));
  });
  return names;
}

/**
 * The zod type provider registers every named schema twice (`X` for responses, `XInput` for
 * requests). Keep one name per shape: `XInput` folds into `X` when they are the same, or when `X` is
 * only a request shape; unreferenced copies are dropped.
 */
export function tidyOpenApi<T extends { components?: { schemas?: Components } }>(document: T): T {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const withoutSchemas = { ...document, components: { ...document.components, schemas: {} } };
  let used = referenced(withoutSchemas);
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const base = name.slice(0, -'Input'.length);
    if (!(base in schemas)) continue;
    if (isDeepStrictEqual(schemas[name], schemas[base]) || !used.has(base)) {
      schemas[base] = schemas[name];
      delete schemas[name];
      renameRefs(document, name, base);
      used = referenced({ ...document, components: { ...document.components, schemas: {} } });
    }
  }
  // Drop schemas nothing points at (directly or through another schema).
  const keep = new Set(used);
  let grew = true;
  while (grew) {
    grew = false;
    for (const name of [...keep]) {
      for (const inner of referenced(schemas[name])) {
        if (!keep.has(inner)) {
          keep.add(inner);
          grew = true;
        }
      }
    }
  }
  for (const name of Object.keys(schemas)) if (!keep.has(name)) delete schemas[name];
  return document;
}

interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
}

/**
 * A body a route reads but does not need (`optionalBody`: the schema or null) is documented as an
 * optional request body of the object schema; @fastify/swagger marks every body as required.
 */
export function optionalRequestBodies<T extends { paths?: Record<string, Record<string, Json>> }>(
  document: T,
): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const value of Object.values(item)) {
      const body = (value as Operation | null)?.requestBody;
      const media = body?.content?.['application/json'];
      const branches = (media?.schema as { anyOf?: Json[] } | undefined)?.anyOf;
      if (!body || !media || !Array.isArray(branches)) continue;
      const rest = branches.filter((branch) => !isDeepStrictEqual(branch, { type: 'null' }));
      if (rest.length === branches.length || rest.length !== 1) continue;
      media.schema = rest[0];
      body.required = false;
    }
  }
  return document;
}
