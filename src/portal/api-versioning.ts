// What the self-service API's route modules share: optimistic concurrency —
// GET (and every change) answers a record's version as its ETag, and a change sent with If-Match
// is made only if the record is still that version (else 412), so two callers that read, change
// and write back cannot undo each other's change unawares.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { versionOf } from '../registry/integrations.js';

/** The If-Match header of a change, documented with the GET whose ETag it names. */
export const ifMatchHeader = (readWith: string) => Type.Object({
  'if-match': Type.Optional(Type.String({ description: `the ETag of ${readWith} (or *): change only that version; 412 if it has changed since` })),
});

export function ifMatch(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match'];
  return Array.isArray(header) ? header.join(',') : header;
}

/** The record, with its version (from last_updated) as the ETag. */
export function versioned<T extends { last_updated?: string | undefined }>(reply: FastifyReply, record: T): T {
  reply.header('etag', versionOf({ last_updated: record.last_updated ?? '' }));
  return record;
}
