import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySerializers } from '../src/http/lazy-serializers.js';

describe('response serializers compiled at first use', () => {
  it('still shape and filter each answer by its schema, per status', async () => {
    const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: lazySerializers() } } });
    const Body = { type: 'object', properties: { client_id: { type: 'string' }, count: { type: 'integer' } } } as const;
    const Problem = { type: 'object', properties: { error: { type: 'string' } } } as const;
    app.get('/thing', { schema: { response: { 200: Body, 404: Problem } } }, async (request, reply) =>
      request.headers['x-missing']
        ? reply.code(404).send({ error: 'not_found', stack: 'internal detail' })
        : { client_id: 'abc', count: '7', secret_digest: 'must not leave' });
    await app.ready();

    for (let i = 0; i < 2; i++) { // the first answer compiles, the second reuses
      const ok = await app.inject({ url: '/thing' });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toBe('{"client_id":"abc","count":7}');
    }
    const missing = await app.inject({ url: '/thing', headers: { 'x-missing': '1' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('{"error":"not_found"}');
    await app.close();
  });
});
