// A PostgreSQL that stops answering without closing its connections (a partition, a frozen host, a
// firewall that drops packets): the start fails with a message instead of waiting forever, readiness
// says so within seconds, requests fail instead of hanging, and all recover when it answers again
// (src/store/postgres-timeouts.ts). Between Portvakt and the real server sits a TCP relay that can
// be frozen: it keeps every connection open and passes nothing on (what is sent meanwhile is lost,
// as in a partition).
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { POSTGRES_TIMEOUTS } from '../src/store/postgres-timeouts.js';

interface Relay { port: number; frozen: boolean; close(): Promise<void> }

/** Relays TCP to PostgreSQL; while `frozen`, passes nothing in either direction. */
async function startRelay(): Promise<Relay> {
  const target = new URL(process.env.DATABASE_URL!);
  const sockets = new Set<net.Socket>();
  const relay: Relay = { port: 0, frozen: false, close: async () => undefined };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', (chunk) => { if (!relay.frozen) upstream.write(chunk); });
    upstream.on('data', (chunk) => { if (!relay.frozen) client.write(chunk); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.address() as net.AddressInfo).port;
  relay.close = () => new Promise((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => resolve()); });
  return relay;
}

const through = (relay: Relay) => {
  const url = new URL(process.env.DATABASE_URL!);
  url.host = `127.0.0.1:${relay.port}`;
  return url.toString();
};

let relay: Relay | undefined;
let pv: TestPortvakt | undefined;
afterAll(async () => {
  if (relay) relay.frozen = false;
  await pv?.close();
  await relay?.close();
});

describe('a PostgreSQL that stops answering', () => {
  it('at start: the start fails with a message naming the database, not a silent wait', async () => {
    const silent = await startRelay();
    silent.frozen = true;
    const started = Date.now();
    await expect(startPortvakt({ env: { DATABASE_URL: through(silent) } })).rejects.toThrow(/DATABASE_URL: cannot use PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/\w+ \(.*timeout/);
    expect(Date.now() - started).toBeLessThan(POSTGRES_TIMEOUTS.connectionTimeoutMillis * 2 + 5_000);
    await silent.close();
  }, 60_000);

  it('while running: readiness says so within seconds, requests fail instead of hanging, and both recover', async () => {
    relay = await startRelay();
    pv = await startPortvakt({ env: { DATABASE_URL: through(relay) } });
    const ready = async () => {
      const started = Date.now();
      const response = await fetch(`${pv!.issuer}/health/ready`);
      return { status: response.status, body: await response.json(), ms: Date.now() - started };
    };
    expect((await ready()).status).toBe(200);

    relay.frozen = true;
    const frozen = await ready();
    expect(frozen).toMatchObject({ status: 503, body: { database: 'unavailable' } });
    expect(frozen.ms).toBeLessThan(5_000);
    // A token request must read the store: it fails once the query times out.
    const started = Date.now();
    const token = await fetch(`${pv.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x&client_id=nobody' });
    expect(token.status).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(POSTGRES_TIMEOUTS.query_timeout + POSTGRES_TIMEOUTS.connectionTimeoutMillis + 5_000);

    relay.frozen = false;
    await expect.poll(async () => (await ready()).status, { timeout: 20_000, interval: 500 }).toBe(200);
  }, 90_000);
});
