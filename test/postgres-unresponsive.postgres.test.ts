// A PostgreSQL that stops answering without closing its connections (a partition, a frozen host, a
// firewall that drops packets): the start fails with a message instead of waiting forever, readiness
// says so within seconds (so a load balancer takes the node out), a request that needs it is told to
// try again (503) instead of being held, and it recovers when the database answers again
// (src/store/postgres-timeouts.ts). Between Portvakt and the real server sits a TCP
// relay that can be frozen: it keeps every connection open and passes nothing on until it thaws, as
// a network partition does.
import { afterAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { startRelay, type Relay } from './helpers/tcp-relay.js';
import { headlessAuthorizeUrl } from './helpers/headless.js';
import { REDIRECT } from './helpers/clients.js';
import { POSTGRES_TIMEOUTS, QUERY_TIMEOUT_MS } from '../src/store/postgres-timeouts.js';
import { READINESS_TIMEOUT_MS } from '../src/app.js';

let relay: Relay | undefined;
let pv: TestPortvakt | undefined;
afterAll(async () => {
  relay?.thaw();
  await pv?.close();
  await relay?.close();
});

describe('a PostgreSQL that stops answering', () => {
  it('at start: the start fails with a message naming the database, not a silent wait', async () => {
    const silent = await startRelay(process.env.DATABASE_URL!);
    silent.freeze();
    const started = Date.now();
    await expect(startPortvakt({ env: { DATABASE_URL: silent.through(process.env.DATABASE_URL!) } })).rejects.toThrow(/DATABASE_URL: cannot use PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/\w+ \(.*timeout/);
    expect(Date.now() - started).toBeLessThan(POSTGRES_TIMEOUTS.connectionTimeoutMillis * 2 + 5_000);
    await silent.close();
  }, 60_000);

  it('while running: readiness says so within seconds, a request that needs it is answered 503 within the query limit, and both recover', async () => {
    relay = await startRelay(process.env.DATABASE_URL!);
    pv = await startPortvakt({ env: { DATABASE_URL: relay.through(process.env.DATABASE_URL!) } });
    const ready = async () => {
      const started = Date.now();
      const response = await fetch(`${pv!.issuer}/health/ready`);
      return { status: response.status, body: await response.json(), ms: Date.now() - started };
    };
    expect((await ready()).status).toBe(200);

    // A client never looked up must be read from the database, on the connection the pool holds
    // open: the request is not held until TCP gives up (hours), it is told to try again.
    const authorize = (clientId: string) => fetch(headlessAuthorizeUrl(pv!.issuer, { client_id: clientId, redirect_uri: REDIRECT, hint: false }), { redirect: 'manual', headers: { accept: 'text/html' } });
    relay.freeze();
    const started = Date.now();
    const held = await authorize('never-seen-client');
    expect(held.status).toBe(503);
    expect(await held.text()).toContain('temporarily_unavailable');
    expect(Date.now() - started).toBeLessThan(QUERY_TIMEOUT_MS + 5_000);

    const frozen = await ready();
    expect(frozen).toMatchObject({ status: 503, body: { database: 'unavailable' } });
    expect(frozen.ms).toBeLessThan(READINESS_TIMEOUT_MS + 2_000);

    relay.thaw();
    await expect.poll(async () => (await ready()).status, { timeout: 20_000, interval: 500 }).toBe(200);
    expect((await authorize('never-seen-client')).status).toBe(400); // looked up now: there is no such client
  }, 90_000);
});
