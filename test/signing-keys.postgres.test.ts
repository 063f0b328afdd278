// Several nodes share one PostgreSQL, and on a first deployment they start at the same moment on an
// empty database; an operator may run `portvakt keys rotate` while another does, or while a node
// starts. Whatever the interleaving, the installation has one current key (the one every node
// signs with) and one next key (published before it signs). Only the PostgreSQL runs have it: the
// embedded store is one process by design.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { headlessAuthorizeUrl, headlessCode, redeemCode } from './helpers/headless.js';
import { decodeProtectedHeader } from 'jose';
import { ensureSigningKeys, rotateSigningKeys } from '../src/provider/keys.js';

const SECRET = 'a-shared-root-secret-for-every-node-0123456789';
const nodes: TestPortvakt[] = [];
const schema = `t_${crypto.randomBytes(6).toString('hex')}`;

afterAll(async () => {
  for (const node of nodes) await node.close();
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

async function keyStates(node: TestPortvakt) {
  const rows = await node.portvakt.store.db.selectFrom('signing_keys').select(['kid', 'state']).execute();
  const count = (state: string) => rows.filter((row) => row.state === state).length;
  return { current: count('current'), next: count('next'), retired: count('retired') };
}

describe('signing keys on many nodes', () => {
  it('three nodes started at once on an empty database make one current and one next key, and sign with the same one', async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    nodes.push(...(await Promise.all([port, await freePort(), await freePort()].map((p) => startPortvakt({ schema, env: { PORT: String(p), PORTVAKT_ISSUER: issuer, PORTVAKT_SECRET: SECRET } })))));
    expect(await keyStates(nodes[0]!)).toEqual({ current: 1, next: 1, retired: 0 });
    const jwks = await Promise.all(nodes.map(async (node) => (await (await fetch(`http://localhost:${node.portvakt.config.port}/jwks.json`)).json()) as { keys: { kid: string }[] }));
    for (const set of jwks) expect(set.keys.map((k) => k.kid).sort()).toEqual(jwks[0]!.keys.map((k) => k.kid).sort());

    // A login at each node: every id_token is signed with the one current key.
    const redirect = 'http://localhost:3000/cb';
    const { integration, client_secret } = await nodes[0]!.portvakt.integrations.create('all', '312000008', { client_name: 'Keys', redirect_uris: [redirect] }, { kind: 'cli', id: 'test' });
    const kids = await Promise.all(nodes.map(async (node) => {
      const at = `http://localhost:${node.portvakt.config.port}`;
      const code = (await headlessCode(headlessAuthorizeUrl(at, { client_id: integration.client_id, redirect_uri: redirect })))!;
      const tokens = (await (await redeemCode(at, { client_id: integration.client_id, secret: client_secret!, code, redirect_uri: redirect })).json()) as { id_token: string };
      return decodeProtectedHeader(tokens.id_token).kid;
    }));
    expect(new Set(kids).size).toBe(1);
  });

  it('three rotations at once are three rotations, one after the other: still one current and one next key', async () => {
    const db = nodes[0]!.portvakt.store.db;
    const secrets = nodes[0]!.portvakt.secrets;
    const rotations = await Promise.all([1, 2, 3].map(() => rotateSigningKeys(db, secrets)));
    expect(await keyStates(nodes[0]!)).toEqual({ current: 1, next: 1, retired: 3 });
    expect(new Set(rotations.map((r) => r.current)).size).toBe(3); // each made a different key current
    await Promise.all([1, 2, 3].map(() => ensureSigningKeys(db, secrets))); // as nodes starting meanwhile do
    expect(await keyStates(nodes[0]!)).toEqual({ current: 1, next: 1, retired: 3 });
  });

  it('an installation left with more than one current or next key keeps the newest of each; the others retire, still published', async () => {
    const db = nodes[0]!.portvakt.store.db;
    const live = await db.selectFrom('signing_keys').selectAll().where('state', 'in', ['current', 'next']).execute();
    const older = new Date(Date.now() - 60_000);
    // As nodes of an earlier version starting at once left it: a second current and a second next key, made a minute earlier.
    await db.insertInto('signing_keys').values(live.map((row) => ({ ...row, public_jwk: JSON.stringify(row.public_jwk), kid: `${row.kid}-twin`, created_at: older }))).execute();
    await Promise.all([1, 2, 3].map(() => ensureSigningKeys(db, nodes[0]!.portvakt.secrets)));
    expect(await keyStates(nodes[0]!)).toEqual({ current: 1, next: 1, retired: 5 });
    const kept = await db.selectFrom('signing_keys').select(['kid', 'state']).where('state', 'in', ['current', 'next']).execute();
    expect(kept.map((row) => row.kid).sort()).toEqual(live.map((row) => row.kid).sort());
    const twins = await db.selectFrom('signing_keys').select(['state', 'retired_at']).where('kid', 'like', '%-twin').execute();
    expect(twins).toEqual([{ state: 'retired', retired_at: expect.any(Date) }, { state: 'retired', retired_at: expect.any(Date) }]);
  });
});
