// Configuration and the client file: an invalid entry stops the start with a message that names
// the client and the field.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { createPortvakt } from '../src/app.js';
import { startPortvakt } from './helpers/portvakt.js';

async function clientFile(contents: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-config-'));
  const file = path.join(dir, 'clients.json');
  await fs.writeFile(file, contents);
  return file;
}

const valid = { client_id: 'okay', client_secret: 'a-secret-of-some-length', redirect_uris: ['http://localhost:3000/cb'] };

describe('configuration', () => {
  it('defaults: port 8080, issuer http://localhost:8080, environment test', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, issuer: 'http://localhost:8080', environment: 'test' });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORTVAKT_ISSUER: 'ftp://x' })).toThrow(/PORTVAKT_ISSUER/);
    // Served at the root only: an issuer with a path would advertise endpoints and a discovery document nothing answers.
    expect(() => loadConfig({ PORTVAKT_ISSUER: 'https://login.example.no/idporten' })).toThrow(/PORTVAKT_ISSUER: must be the scheme, host and port only, without a path/);
    expect(loadConfig({ PORTVAKT_ISSUER: 'https://login.example.no/', PORTVAKT_TRUST_PROXY: 'true' }).issuer).toBe('https://login.example.no'); // a trailing slash is no path
    // https comes from a TLS-terminating proxy, whose word Portvakt must take (it speaks plain http)
    expect(() => loadConfig({ PORTVAKT_ISSUER: 'https://login.example.no' })).toThrow(/PORTVAKT_TRUST_PROXY: must be true with an https PORTVAKT_ISSUER/);
    expect(() => loadConfig({ PORTVAKT_ENVIRONMENT: 'staging' })).toThrow(/PORTVAKT_ENVIRONMENT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ PORTVAKT_REDIS_PREFIX: 'has space' })).toThrow(/PORTVAKT_REDIS_PREFIX/);
    expect(() => loadConfig({ PORTVAKT_PROTOCOL_EVENTS: 'some' })).toThrow(/PORTVAKT_PROTOCOL_EVENTS/);
    expect(() => loadConfig({ PORTVAKT_EVENT_RETENTION_DAYS: '0' })).toThrow(/PORTVAKT_EVENT_RETENTION_DAYS/);
  });

  it('protocol events: all of them in test, failures only in production, unless told otherwise', () => {
    const prod = { PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'x'.repeat(40) };
    expect(loadConfig({})).toMatchObject({ protocolEvents: 'all', eventRetentionDays: 30 });
    expect(loadConfig(prod).protocolEvents).toBe('errors');
    expect(loadConfig({ ...prod, PORTVAKT_PROTOCOL_EVENTS: 'all', PORTVAKT_EVENT_RETENTION_DAYS: '7' })).toMatchObject({ protocolEvents: 'all', eventRetentionDays: 7 });
  });

  it('Redis keys are prefixed per environment unless told otherwise', () => {
    expect(loadConfig({}).redisPrefix).toBe('portvakt:test:');
    expect(loadConfig({ PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'x'.repeat(40) }).redisPrefix).toBe('portvakt:prod:');
    expect(loadConfig({ PORTVAKT_REDIS_PREFIX: 'idp-a:' }).redisPrefix).toBe('idp-a:');
  });

  it('production requires PORTVAKT_SECRET', () => {
    expect(() => loadConfig({ PORTVAKT_ENVIRONMENT: 'prod' })).toThrow(/PORTVAKT_SECRET/);
  });

  it('a production environment refuses to start with only test login methods, unless told it is a demo', async () => {
    const config = loadConfig({ PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'x'.repeat(40), PORTVAKT_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), 'pv-')) });
    await expect(createPortvakt(config)).rejects.toThrow(/TestID|PORTVAKT_DEMO/);
  });
});

describe('the client file stops the start on an invalid entry', () => {
  it.each([
    ['broken JSON', '{"clients": [', /not valid JSON/],
    ['no clients array', '{"client": []}', /"clients" array/],
    ['a missing redirect_uris', JSON.stringify({ clients: [{ client_id: 'app', client_secret: 'x' }] }), /client "app": redirect_uris/],
    ['a fragment in a redirect URI', JSON.stringify({ clients: [{ ...valid, client_id: 'frag', redirect_uris: ['http://localhost/cb#x'] }] }), /client "frag": redirect_uris\[0\] must not contain a fragment/],
    ['a too short client_id', JSON.stringify({ clients: [{ ...valid, client_id: 'x' }] }), /client "x": client_id must be 3 to 200 characters/],
    ['an unknown field', JSON.stringify({ clients: [{ ...valid, client_id: 'typo', redirect_uri: 'x' }] }), /client "typo": redirect_uri is not a known field/],
    ['a public client with a secret method', JSON.stringify({ clients: [{ ...valid, client_id: 'spa', application_type: 'browser' }] }), /client "spa": token_endpoint_auth_method must be "none"/],
    ['private_key_jwt without keys', JSON.stringify({ clients: [{ client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['http://localhost/cb'] }] }), /client "pkj": jwks is required/],
    ['a secret method without a secret', JSON.stringify({ clients: [{ client_id: 'nosecret', redirect_uris: ['http://localhost/cb'] }] }), /client "nosecret": client_secret is required/],
    ['a bad refresh_token_usage', JSON.stringify({ clients: [{ ...valid, client_id: 'rt-client', refresh_token_usage: 'SOMETIMES' }] }), /client "rt-client": refresh_token_usage must be one of "ONETIME", "REUSE"/],
    ['a frontchannel_logout_uri on another domain', JSON.stringify({ clients: [{ ...valid, client_id: 'fc-client', frontchannel_logout_uri: 'http://elsewhere.example/logout' }] }), /client "fc-client": frontchannel_logout_uri must be on the domain/],
    ['a client declared twice', JSON.stringify({ clients: [valid, valid] }), /"okay" is declared twice/],
  ])('%s', async (_name, contents, message) => {
    const file = await clientFile(contents);
    await expect(startPortvakt({ env: { PORTVAKT_CONFIG: file } })).rejects.toThrow(message);
  });

  it('in production a declared secret must be long enough to resist guessing; in test any will do', async () => {
    const production = { PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'x'.repeat(40), PORTVAKT_DEMO: 'true' };
    const service = { ...valid, redirect_uris: ['https://service.example/cb'] };
    const short = await clientFile(JSON.stringify({ clients: [{ ...service, client_id: 'weak', client_secret: 'password123' }] }));
    await expect(startPortvakt({ env: { ...production, PORTVAKT_CONFIG: short } })).rejects.toThrow(/client "weak": client_secret must be at least 32 characters in a production environment/);
    const long = await clientFile(JSON.stringify({ clients: [{ ...service, client_id: 'strong', client_secret: 'k'.repeat(32) }] }));
    const pv = await startPortvakt({ env: { ...production, PORTVAKT_CONFIG: long } });
    try {
      expect((await pv.portvakt.clients.find('strong'))?.active).toBe(true);
    } finally {
      await pv.close();
    }
    const test = await startPortvakt({ env: { PORTVAKT_CONFIG: short } });
    await test.close();
  });

  it('a valid file is upserted at start, secret kept only as a digest', async () => {
    const pv = await startPortvakt({ clients: [valid] });
    try {
      const stored = await pv.portvakt.clients.find('okay');
      expect(stored?.registration).toMatchObject({ client_id: 'okay', token_endpoint_auth_method: 'client_secret_basic', access_token_lifetime: 120 });
      expect(JSON.stringify(stored)).not.toContain(valid.client_secret);
      const rows = await pv.portvakt.store.db.selectFrom('clients').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(valid.client_secret);
      const keys = await pv.portvakt.store.db.selectFrom('signing_keys').selectAll().execute();
      expect(JSON.stringify(keys)).not.toMatch(/"d":/); // no private key material in the clear
    } finally {
      await pv.close();
    }
  });
});
