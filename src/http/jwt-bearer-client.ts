// Maskinporten's clients ask for a token with their JWT grant alone (RFC 7523 §2.1): no client_id,
// no other credentials; the JWT's iss names the client. oidc-provider identifies the client before
// any grant runs, so such a request would be refused as anonymous. For token requests that carry no
// credentials in a header, this step reads the form first and, for that grant, adds client_id = the
// JWT's iss (unverified: the grant's own check, provider/jwt-bearer-grant.ts, verifies the JWT and
// that iss is that client). oidc-provider then reads the same form, from a stand-in request.
import type http from 'node:http';
import { Readable } from 'node:stream';
import { JWT_BEARER_GRANT } from '../registry/client-schema.js';

/** oidc-provider's own limit for a form body; one announced as larger is passed on for it to refuse. */
const BODY_LIMIT = 56 * 1024;
const FORM = 'application/x-www-form-urlencoded';

/** Whether the request may be a JWT grant that names no client: worth reading before oidc-provider does. */
export function mayNameNoClient(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  // Sent whole (with its length, which Node's parser holds it to) or in chunks (read up to the limit).
  const sized = length === undefined ? req.headers['transfer-encoding'] !== undefined : Number(length) > 0 && Number(length) <= BODY_LIMIT;
  return req.method === 'POST'
    && req.headers.authorization === undefined
    && (req.headers['content-type'] ?? '').toLowerCase().startsWith(FORM)
    && sized;
}

class BodyTooLarge extends Error {}

/** The client a JWT grant names (its iss), read without verifying anything. */
function issuerOf(assertion: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' && payload.iss.length > 0 && payload.iss.length <= 200 ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  // Not destroyed when reading stops early: the answer still goes out on this connection.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    received += (chunk as Buffer).length;
    if (received > BODY_LIMIT) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, received);
}

/** A request that reads `body` and is otherwise `req`, for oidc-provider (a Koa app) to take instead. */
function replaying(req: http.IncomingMessage, body: Buffer): http.IncomingMessage {
  const stream = new Readable({ read() {} });
  stream.push(body);
  stream.push(null);
  return Object.assign(stream, {
    headers: { ...req.headers, 'content-length': String(body.length) },
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    aborted: false,
  }) as unknown as http.IncomingMessage;
}

export type NamedRequest = { request: http.IncomingMessage } | { refused: string };

/**
 * The request oidc-provider should take: with client_id added for a JWT grant that names no client,
 * or, when its JWT names none either, a description of why it cannot be served.
 */
export async function namingJwtBearerClient(req: http.IncomingMessage): Promise<NamedRequest> {
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (err) {
    // What oidc-provider answers a body past its limit (the rest of it is not read).
    if (err instanceof BodyTooLarge) return { refused: `failed to parse the request body: larger than ${BODY_LIMIT / 1024} KiB` };
    throw err;
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const grantTypes = form.getAll('grant_type');
  const namesClient = form.has('client_id') || form.has('client_assertion');
  if (grantTypes.length !== 1 || grantTypes[0] !== JWT_BEARER_GRANT || namesClient || form.getAll('assertion').length !== 1) {
    return { request: replaying(req, body) }; // not this grant's case: oidc-provider answers it as before
  }
  const clientId = issuerOf(form.get('assertion')!);
  if (!clientId) return { refused: 'assertion must be a JWT whose iss is your client_id' };
  return { request: replaying(req, Buffer.concat([body, Buffer.from(`&client_id=${encodeURIComponent(clientId)}`)])) };
}
