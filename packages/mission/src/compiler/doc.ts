import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TinytownError } from '@tinytown/core';

/** A design doc is a page of prose; anything bigger is almost certainly not one. */
export const MAX_DOC_BYTES = 1024 * 1024;

export interface DocObjectiveFile {
  /** Path relative to the town root, with `/` separators: what the work item's `source_ref` records. */
  path: string;
  title: string;
}

const invalid = (path: string, reason: string) =>
  new TinytownError('OBJECTIVE_INVALID', `doc objective '${path}': ${reason}`, { objective: path });

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The first markdown heading (`# Title` or a setext `Title` over `===`), outside code fences and front
 * matter. `null` when the doc has none.
 */
export function firstHeading(markdown: string): string | null {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  let index = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, at) => at > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) index = end + 1;
  }
  let fence: string | null = null;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch?.[1]) {
      if (fence === null) fence = fenceMatch[1];
      else if (fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const atx = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (atx?.[1]) return atx[1].trim();
    const next = lines[index + 1] ?? '';
    if (line.trim().length > 0 && /^\s{0,3}(=+|-+)\s*$/.test(next) && !/^\s{0,3}[-*+>]/.test(line)) {
      return line.trim();
    }
  }
  return null;
}

/**
 * Reads a doc objective, refusing any path that leaves the town root — by `..`, by being absolute
 * elsewhere, or through a symlink — since objectives can come from remote API callers, and an empty doc.
 */
export async function readDocObjective(townRoot: string, path: string): Promise<DocObjectiveFile> {
  if (path.includes('\0')) throw invalid(path, 'contains a NUL byte');
  let root: string;
  try {
    root = await realpath(townRoot);
  } catch {
    throw new TinytownError('OBJECTIVE_INVALID', `town root '${townRoot}' does not exist`, { townRoot });
  }
  const requested = resolve(root, path);
  if (!isInside(root, requested)) throw invalid(path, 'is outside the town root');

  let real: string;
  try {
    real = await realpath(requested);
  } catch {
    throw invalid(path, 'does not exist');
  }
  // Checked again after resolving links: a symlink inside the root may point anywhere.
  if (!isInside(root, real)) throw invalid(path, 'resolves outside the town root');

  const info = await stat(real);
  if (!info.isFile()) throw invalid(path, 'is not a file');
  if (info.size > MAX_DOC_BYTES) throw invalid(path, `is larger than ${MAX_DOC_BYTES} bytes`);

  const text = await readFile(real, 'utf8');
  // An agent handed an empty doc has nothing to design from: most likely the wrong file, or not saved yet.
  if (text.replace(/^\uFEFF/, '').trim() === '') throw invalid(path, 'is empty');
  const relPath = relative(root, requested).split(sep).join('/');
  return { path: relPath, title: firstHeading(text) ?? relPath };
}
