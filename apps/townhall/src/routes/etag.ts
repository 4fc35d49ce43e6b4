import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Conditional GETs for listings that carry a revision. The ETag is weak: a revision stands for
 * everything the listing shows, but a listing re-read at the same revision may differ in bytes (a queue
 * length moved by a blocking receive, whose revision move follows within a millisecond).
 */
function etagFor(revision: string): string {
  return `W/"${revision}"`;
}

/** If-None-Match uses the weak comparison: `W/` prefixes are ignored, `*` matches any current version. */
function matches(ifNoneMatch: string, etag: string): boolean {
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch
    .split(',')
    .map((candidate) => candidate.trim())
    .some((candidate) => candidate === '*' || candidate.replace(/^W\//, '') === opaque);
}

/**
 * Sets the listing's ETag and answers 304 Not Modified when the caller already holds that version.
 * Returns true when the reply has been sent. A listing without a revision gets no ETag.
 */
export function sendNotModified(request: FastifyRequest, reply: FastifyReply, revision: string): boolean {
  if (revision === '') return false;
  const etag = etagFor(revision);
  reply.header('etag', etag);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch === undefined || !matches(ifNoneMatch, etag)) return false;
  reply.code(304).send();
  return true;
}
