// A PostgreSQL that stops answering without closing its connections (a partition, a frozen host, a
// firewall that drops packets): the start fails with a message instead of waiting forever, readiness
// says so within seconds (so a load balancer takes the node out), and it recovers when the database
// answers again (src/store/postgres-timeouts.ts). Between Portvakt and the real server sits a TCP
// relay that can be frozen: it keeps every connection open and passes nothing on until it thaws, as
// a network partition does.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startPortvakt, type TestPortvakt } from './helpers/portvakt.js';
import { POSTGRES_TIMEOUTS } from '../src/store/postgres-timeouts.js';
import { READINESS_TIMEOUT_MS } from '../src/app.js';

interface Relay { port: number; freeze(): void; thaw(): void; close(): Promise<void> }

/** Relays TCP to PostgreSQL; while frozen, holds back what either side sends, and delivers it on thaw. */
async function startRelay(): Promise<Relay> {
  const target = new URL(process.env.DATABASE_URL!);
  const sockets = new Set<net.Socket>();
  let held: Array<() => void> | undefined; // writes waiting for the thaw, while frozen
  const pass = (to: net.Socket) => (chunk: Buffer) => (held ? held.push(() => to.write(chunk)) : to.write(chunk));
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', pass(upstream));
    upstream.on('data', pass(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => { held ??= []; },
    thaw: () => { const writes = held ?? []; held = undefined; for (const write of writes) write(); },
    close: () => new Promise((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => resolve()); }),
  };
}

const through = (relay: Relay) => {
  const url = new URL(process.env.DATABASE_URL!);
  url.host = `127.0.0.1:${relay.port}`;
  return url.toString();
};

let relay: Relay | undefined;
let pv: TestPortvakt | undefined;
afterAll(async () => {
  relay?.thaw();
  await pv?.close();
  await relay?.close();
});

describe('a PostgreSQL that stops answering', () => {
  it('at start: the start fails with a message naming the database, not a silent wait', async () => {
    const silent = await startRelay();
    silent.freeze();
    const started = Date.now();
    await expect(startPortvakt({ env: { DATABASE_URL: through(silent) } })).rejects.toThrow(/DATABASE_URL: cannot use PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/\w+ \(.*timeout/);
    expect(Date.now() - started).toBeLessThan(POSTGRES_TIMEOUTS.connectionTimeoutMillis * 2 + 5_000);
    await silent.close();
  }, 60_000);

  it('while running: readiness says so within seconds, and recovers', async () => {
    relay = await startRelay();
    pv = await startPortvakt({ env: { DATABASE_URL: through(relay) } });
    const ready = async () => {
      const started = Date.now();
      const response = await fetch(`${pv!.issuer}/health/ready`);
      return { status: response.status, body: await response.json(), ms: Date.now() - started };
    };
    expect((await ready()).status).toBe(200);

    relay.freeze();
    const frozen = await ready();
    expect(frozen).toMatchObject({ status: 503, body: { database: 'unavailable' } });
    expect(frozen.ms).toBeLessThan(READINESS_TIMEOUT_MS + 2_000);

    relay.thaw();
    await expect.poll(async () => (await ready()).status, { timeout: 20_000, interval: 500 }).toBe(200);
  }, 90_000);
});
